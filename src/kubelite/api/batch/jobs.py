"""batch/v1 Job: pods that run to completion, with a status subresource.

Unless `manualSelector` is true, a Job's selector and its template's labels
are generated from the Job's uid and name (the API server sets the uid
before defaulting), so that no two Jobs ever select each other's pods.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kubelite.api import validation as v
from kubelite.api.apps.workload import (
    fill,
    non_negative_fields,
    selector_matches,
    spec_of,
    status_of,
    template_columns,
    template_labels,
    validate_selector_and_template,
)
from kubelite.api.core.pods import default_pod_template
from kubelite.api.core.podspec import POD_TEMPLATE_SPEC
from kubelite.api.meta import AGE_COLUMN, LABEL_SELECTOR, NAME_COLUMN, TIME, top_level
from kubelite.api.resource import Cause, Column, Obj, Resource, register
from kubelite.api.schema import array, boolean, define, integer, obj, ref, string

BATCH = "io.k8s.api.batch.v1."
JOB = BATCH + "Job"
JOB_SPEC = BATCH + "JobSpec"

CONTROLLER_UID_LABEL = "batch.kubernetes.io/controller-uid"
JOB_NAME_LABEL = "batch.kubernetes.io/job-name"
LEGACY_CONTROLLER_UID_LABEL = "controller-uid"
LEGACY_JOB_NAME_LABEL = "job-name"

COMPLETION_MODES = ("NonIndexed", "Indexed")
POD_REPLACEMENT_POLICIES = ("Failed", "TerminatingOrFailed")
FAILURE_ACTIONS = ("Count", "FailIndex", "FailJob", "Ignore")
EXIT_CODE_OPERATORS = ("In", "NotIn")
MAX_INDEXED_PARALLELISM = 100000
MAX_EXIT_CODE_VALUES = 255
UNLIMITED_BACKOFF = 2**31 - 1

define(BATCH + "PodFailurePolicyOnExitCodesRequirement", obj(
    "Matches a failed pod by its containers' exit codes.",
    {
        "containerName": string("Only this container's exit code counts; any "
                                "container's by default."),
        "operator": string("In (the exit code is one of values) or NotIn.",
                           enum=list(EXIT_CODE_OPERATORS)),
        "values": array(integer(), "Exit codes, sorted and without repeats; at most "
                                   "255. 0 is not allowed with In.", list_type="set"),
    },
    required=("operator", "values"),
))

define(BATCH + "PodFailurePolicyOnPodConditionsPattern", obj(
    "Matches a failed pod by one of its conditions.",
    {
        "type": string("The pod condition type, e.g. DisruptionTarget."),
        "status": string("The condition status to match; True by default."),
    },
    required=("type",),
))

define(BATCH + "PodFailurePolicyRule", obj(
    "What to do when a failed pod matches; exactly one of onExitCodes and "
    "onPodConditions.",
    {
        "action": string("FailJob, FailIndex (needs backoffLimitPerIndex), Ignore (do "
                         "not count the failure) or Count (count it as usual).",
                         enum=list(FAILURE_ACTIONS)),
        "onExitCodes": ref(BATCH + "PodFailurePolicyOnExitCodesRequirement",
                           "Match by container exit codes."),
        "onPodConditions": array(ref(BATCH + "PodFailurePolicyOnPodConditionsPattern"),
                                 "Match by pod conditions; any one matching is enough.",
                                 list_type="atomic"),
    },
    required=("action",),
))

define(BATCH + "PodFailurePolicy", obj(
    "How failed pods affect the Job, beyond counting against backoffLimit.",
    {"rules": array(ref(BATCH + "PodFailurePolicyRule"),
                    "Rules tried in order; the first that matches decides. At most 20.",
                    list_type="atomic")},
    required=("rules",),
))

define(BATCH + "SuccessPolicyRule", obj(
    "A set of indexes whose success makes an Indexed Job succeed.",
    {
        "succeededIndexes": string("Indexes that must succeed, as a list of numbers and "
                                   "ranges: \"1,3-5,7\"."),
        "succeededCount": integer("How many of succeededIndexes (or of all indexes) "
                                  "must succeed."),
    },
))

define(BATCH + "SuccessPolicy", obj(
    "When an Indexed Job counts as succeeded before all its indexes do.",
    {"rules": array(ref(BATCH + "SuccessPolicyRule"),
                    "Any rule met makes the Job succeed. 1 to 20 rules.",
                    list_type="atomic")},
    required=("rules",),
))

define(JOB_SPEC, obj(
    "The desired behaviour of a Job.",
    {
        "parallelism": integer("How many pods may run at once; 1 by default."),
        "completions": integer("How many pods must succeed; unset means any one "
                               "success (once all pods are done) completes the Job."),
        "activeDeadlineSeconds": integer("Seconds the Job may stay active before it is "
                                         "failed and its pods stopped.", format="int64"),
        "podFailurePolicy": ref(BATCH + "PodFailurePolicy",
                                "How particular pod failures are handled."),
        "successPolicy": ref(BATCH + "SuccessPolicy",
                             "When an Indexed Job succeeds early."),
        "backoffLimit": integer("Retries before the Job is failed; 6 by default."),
        "backoffLimitPerIndex": integer("Retries allowed per index of an Indexed Job."),
        "maxFailedIndexes": integer("Failed indexes allowed before an Indexed Job with "
                                    "backoffLimitPerIndex is failed."),
        "selector": ref(LABEL_SELECTOR, "Selects the Job's pods; generated unless "
                                        "manualSelector is true."),
        "manualSelector": boolean("Use the given selector instead of generating one; "
                                  "risky, as it may select other Jobs' pods."),
        "template": ref(POD_TEMPLATE_SPEC, "The pods to run; restartPolicy must be "
                                           "Never or OnFailure."),
        "ttlSecondsAfterFinished": integer("Delete the finished Job after this many "
                                           "seconds."),
        "completionMode": string("NonIndexed (the default: any completions successes) "
                                 "or Indexed (each index 0..completions-1 succeeds once).",
                                 enum=list(COMPLETION_MODES)),
        "suspend": boolean("While true, no pods are created and running ones are "
                           "stopped; false by default."),
        "podReplacementPolicy": string(
            "When a replacement pod is created: TerminatingOrFailed (as soon as the old "
            "one is terminating) or Failed (once it has fully stopped).",
            enum=list(POD_REPLACEMENT_POLICIES)),
        "managedBy": string("The controller that reconciles this Job, when not the "
                            "built-in one (kubernetes.io/job-controller)."),
    },
    required=("template",),
))

define(BATCH + "JobCondition", obj(
    "One aspect of a Job's state: Complete, Failed, Suspended, FailureTarget, "
    "SuccessCriteriaMet.",
    {
        "type": string("Kind of condition."),
        "status": string("True, False or Unknown."),
        "lastProbeTime": ref(TIME, "When the condition was last checked."),
        "lastTransitionTime": ref(TIME, "When the status last changed."),
        "reason": string("One-word CamelCase reason for the last transition."),
        "message": string("Human-readable details."),
    },
    required=("type", "status"),
))

define(BATCH + "UncountedTerminatedPods", obj(
    "Finished pods the controller has not yet added to the counters.",
    {
        "succeeded": array(string(), "UIDs of succeeded pods.", list_type="set"),
        "failed": array(string(), "UIDs of failed pods.", list_type="set"),
    },
))

define(BATCH + "JobStatus", obj(
    "The observed state of a Job.",
    {
        "conditions": array(ref(BATCH + "JobCondition"), "Current conditions.",
                            merge_key="type", strategy="merge", list_type="atomic"),
        "startTime": ref(TIME, "When the controller started the Job."),
        "completionTime": ref(TIME, "When the Job completed successfully."),
        "active": integer("Pods pending or running."),
        "succeeded": integer("Pods that succeeded."),
        "failed": integer("Pods that failed."),
        "terminating": integer("Pods being stopped."),
        "ready": integer("Active pods that are ready."),
        "completedIndexes": string("Succeeded indexes of an Indexed Job, as ranges: "
                                   "\"1,3-5,7\"."),
        "failedIndexes": string("Failed indexes of an Indexed Job, as ranges."),
        "uncountedTerminatedPods": ref(BATCH + "UncountedTerminatedPods",
                                       "Finished pods not yet counted."),
    },
))

define(JOB, top_level(
    "Runs pods until a number of them succeed.",
    {
        "spec": ref(JOB_SPEC, "The desired behaviour."),
        "status": ref(BATCH + "JobStatus", "The observed state; read only."),
    },
), gvk=("batch", "v1", "Job"))


# --- defaults ------------------------------------------------------------------------


def default_pod_failure_policy(spec: Obj) -> None:
    """Condition patterns match status True unless they say otherwise."""
    for rule in (spec.get("podFailurePolicy") or {}).get("rules") or []:
        for pattern in rule.get("onPodConditions") or []:
            fill(pattern, "status", "True")


def _generate_selector(job: Obj, uid: str) -> None:
    """Label the template with the Job's uid and name and select on the uid."""
    spec = job["spec"]
    name = (job.get("metadata") or {}).get("name") or ""
    labels = fill(fill(spec, "template", {}), "metadata", {})
    labels = fill(labels, "labels", {})
    for key, value in ((LEGACY_JOB_NAME_LABEL, name), (JOB_NAME_LABEL, name),
                       (LEGACY_CONTROLLER_UID_LABEL, uid), (CONTROLLER_UID_LABEL, uid)):
        labels.setdefault(key, value)
    selector = fill(spec, "selector", {})
    fill(selector, "matchLabels", {}).setdefault(CONTROLLER_UID_LABEL, uid)


def default(job: Obj) -> None:
    spec = fill(job, "spec", {})
    uid = (job.get("metadata") or {}).get("uid")
    if uid and spec.get("manualSelector") is not True:
        _generate_selector(job, uid)
    labels = template_labels(spec.get("template"))
    meta = fill(job, "metadata", {})
    if labels and not meta.get("labels"):
        meta["labels"] = dict(labels)
    if spec.get("completions") is None and spec.get("parallelism") is None:
        spec["completions"] = 1
    fill(spec, "parallelism", 1)
    fill(spec, "backoffLimit",
         UNLIMITED_BACKOFF if spec.get("backoffLimitPerIndex") is not None else 6)
    fill(spec, "completionMode", "NonIndexed")
    fill(spec, "suspend", False)
    fill(spec, "podReplacementPolicy",
         "Failed" if spec.get("podFailurePolicy") is not None else "TerminatingOrFailed")
    default_pod_failure_policy(spec)
    default_pod_template(fill(spec, "template", {}))


# --- validation ----------------------------------------------------------------------


def _validate_exit_codes(req: Obj, path: str) -> list[Cause]:
    causes = v.one_of(f"{path}.operator", req.get("operator"), EXIT_CODE_OPERATORS)
    values = req.get("values") or []
    if not values or len(values) > MAX_EXIT_CODE_VALUES:
        causes.append(v.invalid(f"{path}.values", values, "at least one value is required "
                                f"and no more than {MAX_EXIT_CODE_VALUES}"))
    for i, value in enumerate(values):
        at = f"{path}.values[{i}]"
        if req.get("operator") == "In" and value == 0:
            causes.append(v.invalid(at, value, "must not be 0 for the In operator"))
        if i > 0 and value == values[i - 1]:
            causes.append(v.duplicate(at, value))
        elif i > 0 and value < values[i - 1]:
            causes.append(v.invalid(at, value, "must be ordered"))
    return causes


def _validate_pod_failure_policy(spec: Obj, path: str) -> list[Cause]:
    rules = (spec.get("podFailurePolicy") or {}).get("rules") or []
    causes: list[Cause] = []
    if len(rules) > 20:
        causes.append(Cause("FieldValueTooMany",
                              f"Too many: {len(rules)}: must have at most 20 items",
                              f"{path}.rules"))
    for i, rule in enumerate(rules):
        at = f"{path}.rules[{i}]"
        action = rule.get("action")
        causes += v.one_of(f"{at}.action", action, FAILURE_ACTIONS)
        if action == "FailIndex" and spec.get("backoffLimitPerIndex") is None:
            causes.append(v.forbidden(f"{at}.action",
                                      "requires the backoffLimitPerIndex to be set"))
        exit_codes, conditions = rule.get("onExitCodes"), rule.get("onPodConditions")
        if exit_codes is not None and conditions:
            causes.append(Cause("FieldValueInvalid", "Invalid value: specifying both "
                                  "OnExitCodes and OnPodConditions is not supported", at))
        elif exit_codes is None and not conditions:
            causes.append(Cause("FieldValueInvalid", "Invalid value: specifying one of "
                                  "OnExitCodes and OnPodConditions is required", at))
        if exit_codes is not None:
            causes += _validate_exit_codes(exit_codes, f"{at}.onExitCodes")
        for j, pattern in enumerate(conditions or []):
            pat = f"{at}.onPodConditions[{j}]"
            causes += v.one_of(f"{pat}.status", pattern.get("status"),
                               ("False", "True", "Unknown"))
            causes += v.check(f"{pat}.type", pattern.get("type", ""),
                              v.is_qualified_name(pattern.get("type", "")))
    return causes


def _validate_success_policy(spec: Obj, path: str) -> list[Cause]:
    rules = (spec.get("successPolicy") or {}).get("rules") or []
    causes: list[Cause] = []
    if spec.get("completionMode") != "Indexed":
        causes.append(v.invalid(path, spec.get("successPolicy"),
                                "requires indexed completion mode"))
    if not rules or len(rules) > 20:
        causes.append(v.required(f"{path}.rules", "at least one rules must be specified "
                                 "when the successPolicy is specified"))
    for i, rule in enumerate(rules):
        at = f"{path}.rules[{i}]"
        if rule.get("succeededIndexes") is None and rule.get("succeededCount") is None:
            causes.append(v.required(at, "at least one of succeededCount or "
                                         "succeededIndexes must be specified"))
        count = rule.get("succeededCount")
        if isinstance(count, int) and count < 0:
            causes.append(v.invalid(f"{at}.succeededCount", count,
                                    "must be greater than or equal to 0"))
    return causes


def _validate_restart_policy(spec: Obj, path: str) -> list[Cause]:
    at = f"{path}.template.spec.restartPolicy"
    policy = ((spec.get("template") or {}).get("spec") or {}).get("restartPolicy")
    if policy in (None, "", "Always"):
        return [v.required(at, 'valid values: "OnFailure", "Never"')]
    if policy not in ("OnFailure", "Never"):
        return [v.not_supported(at, policy, ("OnFailure", "Never"))]
    if spec.get("podFailurePolicy") is not None and policy != "Never":
        return [v.invalid(at, policy, 'only "Never" is supported when podFailurePolicy '
                                      "is specified")]
    return []


def validate_job_spec(spec: Obj, path: str) -> list[Cause]:
    """What a JobSpec must satisfy wherever it appears (in a Job or in a
    CronJob's jobTemplate); selectors are checked by the caller."""
    causes = non_negative_fields(spec, path, "parallelism", "completions",
                                 "activeDeadlineSeconds", "backoffLimit",
                                 "ttlSecondsAfterFinished", "backoffLimitPerIndex",
                                 "maxFailedIndexes")
    mode = spec.get("completionMode")
    indexed = mode == "Indexed"
    if spec.get("backoffLimitPerIndex") is not None and not indexed:
        causes.append(v.forbidden(f"{path}.backoffLimitPerIndex",
                                  "requires indexed completion mode"))
    failed_indexes, completions = spec.get("maxFailedIndexes"), spec.get("completions")
    if failed_indexes is not None:
        if spec.get("backoffLimitPerIndex") is None:
            causes.append(v.required(f"{path}.backoffLimitPerIndex",
                                     "when maxFailedIndexes is specified"))
        if isinstance(completions, int) and failed_indexes > completions:
            causes.append(v.invalid(f"{path}.maxFailedIndexes", failed_indexes,
                                    "must be less than or equal to completions"))
    if mode is not None:
        causes += v.one_of(f"{path}.completionMode", mode, COMPLETION_MODES)
    if indexed:
        if completions is None:
            causes.append(v.required(f"{path}.completions",
                                     "when completion mode is Indexed"))
        parallelism = spec.get("parallelism")
        if isinstance(parallelism, int) and parallelism > MAX_INDEXED_PARALLELISM:
            causes.append(v.invalid(
                f"{path}.parallelism", parallelism,
                f"must be less than or equal to {MAX_INDEXED_PARALLELISM} when completion "
                "mode is Indexed"))
    if spec.get("podFailurePolicy") is not None:
        causes += _validate_pod_failure_policy(spec, f"{path}.podFailurePolicy")
    if spec.get("successPolicy") is not None:
        causes += _validate_success_policy(spec, f"{path}.successPolicy")
    replacement = spec.get("podReplacementPolicy")
    if replacement is not None:
        allowed = ("Failed",) if spec.get("podFailurePolicy") is not None \
            else POD_REPLACEMENT_POLICIES
        causes += v.one_of(f"{path}.podReplacementPolicy", replacement, allowed)
    causes += _validate_restart_policy(spec, path)
    return causes


def _validate_generated_selector(job: Obj) -> list[Cause]:
    """Unless the selector is manual, the template carries the generated
    labels and the selector selects exactly on them."""
    spec = spec_of(job)
    if spec.get("manualSelector") is True:
        return []
    meta = job.get("metadata") or {}
    uid, name = meta.get("uid") or "", meta.get("name") or ""
    if not uid:
        return [v.required("metadata.uid")]
    labels = template_labels(spec.get("template"))
    expected = {LEGACY_CONTROLLER_UID_LABEL: uid, LEGACY_JOB_NAME_LABEL: name,
                CONTROLLER_UID_LABEL: uid, JOB_NAME_LABEL: name}
    causes: list[Cause] = []
    for key, value in expected.items():
        at = f"spec.template.metadata.labels[{key}]"
        if key not in labels:
            causes.append(v.required(at, f"must be '{value}'"))
        elif labels[key] != value:
            causes.append(v.invalid(at, labels, f"must be '{value}'"))
    selector = spec.get("selector")
    if selector is not None and not selector_matches(selector, expected):
        causes.append(v.invalid("spec.selector", selector, "`selector` not auto-generated"))
    return causes


_SCHEDULING_DIRECTIVES = ("nodeSelector", "tolerations", "affinity", "schedulingGates")


def _scheduling_free(template: Obj | None) -> Obj:
    """A pod template without the parts a suspended, never started Job may
    still change: labels, annotations and scheduling directives."""
    template = dict(template or {})
    template["metadata"] = {k: val for k, val in (template.get("metadata") or {}).items()
                            if k not in ("labels", "annotations")}
    template["spec"] = {k: val for k, val in (template.get("spec") or {}).items()
                        if k not in _SCHEDULING_DIRECTIVES}
    return template


def _validate_update(job: Obj, old: Obj) -> list[Cause]:
    spec, old_spec = spec_of(job), spec_of(old)
    causes: list[Cause] = []
    for key in ("selector", "completionMode", "podFailurePolicy", "backoffLimitPerIndex",
                "managedBy", "successPolicy"):
        causes += v.unchanged(f"spec.{key}", spec.get(key), old_spec.get(key))
    elastic = spec.get("completionMode") == "Indexed" and \
        spec.get("completions") == spec.get("parallelism") and \
        old_spec.get("completions") == old_spec.get("parallelism")
    if not elastic:
        causes += v.unchanged("spec.completions", spec.get("completions"),
                              old_spec.get("completions"))
    template, old_template = spec.get("template"), old_spec.get("template")
    if old_spec.get("suspend") is True and not status_of(old).get("startTime"):
        template, old_template = _scheduling_free(template), _scheduling_free(old_template)
    if template != old_template:
        causes.append(v.immutable("spec.template", spec.get("template")))
    return causes


def validate(job: Obj, old: Obj | None) -> list[Cause]:
    spec = spec_of(job)
    causes = _validate_generated_selector(job)
    causes += validate_job_spec(spec, "spec")
    causes += validate_selector_and_template(spec, "spec", None)
    if old is not None:
        causes += _validate_update(job, old)
    return causes


# --- columns -------------------------------------------------------------------------


def _condition(job: Obj, kind: str) -> bool:
    return any(c.get("type") == kind and c.get("status") == "True"
               for c in status_of(job).get("conditions") or [])


def job_state(job: Obj) -> str:
    """The STATUS column: what the Job's conditions say, or Running."""
    if _condition(job, "Complete"):
        return "Complete"
    if _condition(job, "Failed"):
        return "Failed"
    if (job.get("metadata") or {}).get("deletionTimestamp"):
        return "Terminating"
    for kind in ("Suspended", "FailureTarget", "SuccessCriteriaMet"):
        if _condition(job, kind):
            return kind
    return "Running"


def completions(job: Obj) -> str:
    """The COMPLETIONS column: "succeeded/wanted"."""
    spec, succeeded = spec_of(job), status_of(job).get("succeeded", 0)
    if spec.get("completions") is not None:
        return f"{succeeded}/{spec['completions']}"
    parallelism = spec.get("parallelism") or 0
    return f"{succeeded}/1 of {parallelism}" if parallelism > 1 else f"{succeeded}/1"


def _parse_time(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def duration(job: Obj) -> Any:
    """The DURATION column, a time column: "" before the Job starts, the
    start timestamp while it runs (shown as the time since), the run time
    as a timedelta once it has completed (shown humanized)."""
    status = status_of(job)
    start, end = status.get("startTime"), status.get("completionTime")
    if not start:
        return ""
    if not end:
        return start
    return _parse_time(end) - _parse_time(start)


RESOURCE = register(Resource(
    group="batch",
    version="v1",
    kind="Job",
    plural="jobs",
    namespaced=True,
    schema=JOB,
    categories=("all",),
    status_subresource=True,
    # Every JobStatus field is omitempty (or a pointer).
    zero_status={},
    default=default,
    validate=validate,
    columns=(
        NAME_COLUMN,
        Column("Status", job_state, description="What the Job's conditions say."),
        Column("Completions", completions, description="Succeeded pods out of those "
                                                       "wanted."),
        Column("Duration", duration, type="date",
               description="How long the Job ran or has run."),
        AGE_COLUMN,
        *template_columns(lambda j: spec_of(j).get("template"),
                          lambda j: spec_of(j).get("selector")),
    ),
    field_selectors={"status.successful": lambda j: str(status_of(j).get("succeeded", 0))},
))
