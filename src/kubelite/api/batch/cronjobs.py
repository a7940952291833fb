"""batch/v1 CronJob: Jobs created on a cron schedule, with a status
subresource."""

from __future__ import annotations

import re
import zoneinfo

from kubelite.api import meta
from kubelite.api import validation as v
from kubelite.api.apps.workload import (
    fill,
    non_negative_fields,
    spec_of,
    status_of,
    template_columns,
)
from kubelite.api.batch.cron import schedule_error
from kubelite.api.batch.jobs import JOB_SPEC, default_pod_failure_policy, validate_job_spec
from kubelite.api.core.common import CORE
from kubelite.api.core.pods import default_pod_template, validate_pod_template
from kubelite.api.meta import AGE_COLUMN, NAME_COLUMN, OBJECT_META, TIME, top_level
from kubelite.api.resource import Cause, Column, Obj, Resource, register
from kubelite.api.schema import array, boolean, define, integer, obj, ref, string

BATCH = "io.k8s.api.batch.v1."
CRON_JOB = BATCH + "CronJob"
CONCURRENCY_POLICIES = ("Allow", "Forbid", "Replace")
# Job names get an 11-character suffix; they must stay DNS-1035 labels.
MAX_NAME_LENGTH = 52
_ZONE_PART = re.compile(r"[A-Za-z._+\-0-9]+")

define(BATCH + "JobTemplateSpec", obj(
    "The Job a CronJob creates each time.",
    {
        "metadata": ref(OBJECT_META, "Labels and annotations of the Jobs created."),
        "spec": ref(JOB_SPEC, "The Jobs' spec."),
    },
))

define(BATCH + "CronJobSpec", obj(
    "When a CronJob runs and what it runs.",
    {
        "schedule": string("A cron schedule: \"*/5 * * * *\", \"0 3 * * mon-fri\", "
                           "\"@hourly\"."),
        "timeZone": string("The IANA time zone the schedule is in, e.g. Europe/Paris; "
                           "the controller manager's zone by default."),
        "startingDeadlineSeconds": integer("Skip a run that could not start within "
                                           "this many seconds of its time.",
                                           format="int64"),
        "concurrencyPolicy": string(
            "Allow (the default: runs may overlap), Forbid (skip a run while the last "
            "is active) or Replace (stop the active run for the new one).",
            enum=list(CONCURRENCY_POLICIES)),
        "suspend": boolean("While true, no new runs start; false by default."),
        "jobTemplate": ref(BATCH + "JobTemplateSpec", "The Job to create for each run."),
        "successfulJobsHistoryLimit": integer("Finished successful Jobs to keep; 3 by "
                                              "default."),
        "failedJobsHistoryLimit": integer("Failed Jobs to keep; 1 by default."),
    },
    required=("schedule", "jobTemplate"),
))

define(BATCH + "CronJobStatus", obj(
    "The observed state of a CronJob.",
    {
        "active": array(ref(CORE + "ObjectReference"), "The Jobs running now.",
                        list_type="atomic"),
        "lastScheduleTime": ref(TIME, "When a Job was last created."),
        "lastSuccessfulTime": ref(TIME, "When a Job last completed successfully."),
    },
))

define(CRON_JOB, top_level(
    "Creates Jobs on a repeating schedule.",
    {
        "spec": ref(BATCH + "CronJobSpec", "The schedule and the Job to run."),
        "status": ref(BATCH + "CronJobStatus", "The observed state; read only."),
    },
), gvk=("batch", "v1", "CronJob"))


def default(cron_job: Obj) -> None:
    spec = fill(cron_job, "spec", {})
    fill(spec, "concurrencyPolicy", "Allow")
    fill(spec, "suspend", False)
    fill(spec, "successfulJobsHistoryLimit", 3)
    fill(spec, "failedJobsHistoryLimit", 1)
    job_spec = fill(fill(spec, "jobTemplate", {}), "spec", {})
    default_pod_failure_policy(job_spec)
    default_pod_template(fill(job_spec, "template", {}))


def _validate_schedule(spec: Obj) -> list[Cause]:
    schedule = spec.get("schedule") or ""
    if not schedule:
        return [v.required("spec.schedule")]
    causes: list[Cause] = []
    error = schedule_error(schedule)
    if error:
        causes.append(v.invalid("spec.schedule", schedule, error))
    if "TZ" in schedule:
        causes.append(v.invalid("spec.schedule", schedule, "cannot use TZ or CRON_TZ in "
                                "schedule, use timeZone field instead"))
    return causes


def _validate_time_zone(zone: str | None) -> list[Cause]:
    path = "spec.timeZone"
    if zone is None:
        return []
    if not zone:
        return [v.invalid(path, zone, "timeZone must be nil or non-empty string")]
    for part in zone.split("/"):
        if part in (".", "..") or part.startswith("-") or not _ZONE_PART.fullmatch(part):
            return [v.invalid(path, zone, f"unknown time zone {zone}")]
    if zone.lower() == "local":
        return [v.invalid(path, zone, "timeZone must be an explicit time zone as defined "
                                      "in https://www.iana.org/time-zones")]
    try:
        zoneinfo.ZoneInfo(zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return [v.invalid(path, zone, f"unknown time zone {zone}")]
    return []


def _validate_job_template(template: Obj, path: str) -> list[Cause]:
    job_meta = template.get("metadata") or {}
    causes = v.validate_labels(job_meta.get("labels"), f"{path}.metadata.labels")
    causes += meta.validate_annotations(job_meta.get("annotations"),
                                        f"{path}.metadata.annotations")
    spec = template.get("spec") or {}
    causes += validate_job_spec(spec, f"{path}.spec")
    causes += validate_pod_template(spec.get("template") or {}, f"{path}.spec.template")
    if spec.get("selector") is not None:
        causes.append(v.invalid(f"{path}.spec.selector", spec["selector"],
                                "`selector` will be auto-generated"))
    if spec.get("manualSelector") is True:
        causes.append(v.not_supported(f"{path}.spec.manualSelector", True, ("nil", "false")))
    return causes


def validate(cron_job: Obj, old: Obj | None) -> list[Cause]:
    name = (cron_job.get("metadata") or {}).get("name") or ""
    causes: list[Cause] = []
    if len(name) > MAX_NAME_LENGTH:
        causes.append(v.invalid("metadata.name", name, v.max_len_error(MAX_NAME_LENGTH)))
    spec = spec_of(cron_job)
    causes += _validate_schedule(spec)
    causes += non_negative_fields(spec, "spec", "startingDeadlineSeconds",
                                  "successfulJobsHistoryLimit", "failedJobsHistoryLimit")
    policy = spec.get("concurrencyPolicy")
    causes += [v.required("spec.concurrencyPolicy")] if not policy else v.one_of(
        "spec.concurrencyPolicy", policy, CONCURRENCY_POLICIES)
    if spec.get("jobTemplate") is None:
        causes.append(v.required("spec.jobTemplate"))
    else:
        causes += _validate_job_template(spec["jobTemplate"], "spec.jobTemplate")
    causes += _validate_time_zone(spec.get("timeZone"))
    return causes


def _job_spec(c: Obj) -> Obj:
    return (spec_of(c).get("jobTemplate") or {}).get("spec") or {}


def _suspend(c: Obj) -> str:
    suspend = spec_of(c).get("suspend")
    return "<unset>" if suspend is None else str(bool(suspend))


RESOURCE = register(Resource(
    group="batch",
    version="v1",
    kind="CronJob",
    plural="cronjobs",
    namespaced=True,
    schema=CRON_JOB,
    short_names=("cj",),
    categories=("all",),
    status_subresource=True,
    # Every CronJobStatus field is omitempty (or a pointer).
    zero_status={},
    default=default,
    validate=validate,
    columns=(
        NAME_COLUMN,
        Column("Schedule", lambda c: spec_of(c).get("schedule", ""),
               description="The cron schedule."),
        Column("Timezone", lambda c: spec_of(c).get("timeZone") or "<none>",
               description="The time zone of the schedule."),
        Column("Suspend", _suspend, type="boolean", description="Whether new runs are "
                                                                "held back."),
        Column("Active", lambda c: len(status_of(c).get("active") or []), type="integer",
               description="Jobs running now."),
        Column("Last Schedule", lambda c: status_of(c).get("lastScheduleTime") or "<none>",
               type="date", description="Time since a Job was last created."),
        AGE_COLUMN,
        *template_columns(lambda c: _job_spec(c).get("template"),
                          lambda c: _job_spec(c).get("selector")),
    ),
))
