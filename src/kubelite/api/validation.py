"""Building blocks for validating objects, with the messages Kubernetes uses.

Two kinds of helpers live here. The `is_*` checks look at one value and
return the problems found as plain messages (empty when the value is
fine), like Kubernetes' `IsDNS1123Label` and friends. The cause builders
(`required`, `invalid`, `not_supported`, ...) turn a problem into a `Cause`
whose message reads as Kubernetes writes it ("Required value",
`Invalid value: "X": ...`, `Unsupported value: "X": supported values: ...`),
because clients and people see these messages verbatim.

Paths are the dotted field paths Kubernetes reports: `spec.containers[0].name`,
`data[my key]`.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Callable, Iterable, Mapping
from fractions import Fraction
from typing import Any

from kubelite.api.resource import Cause

# --- cause builders ------------------------------------------------------------


def render(value: Any) -> str:
    """A value as it appears in a message: strings quoted, numbers and
    booleans bare, None as null, anything else as compact JSON."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def required(path: str, detail: str = "") -> Cause:
    message = f"Required value: {detail}" if detail else "Required value"
    return Cause("FieldValueRequired", message, path)


def invalid(path: str, value: Any, detail: str) -> Cause:
    return Cause("FieldValueInvalid", f"Invalid value: {render(value)}: {detail}", path)


def not_supported(path: str, value: Any, allowed: Iterable[str]) -> Cause:
    listed = ", ".join(render(a) for a in allowed)
    return Cause(
        "FieldValueNotSupported",
        f"Unsupported value: {render(value)}: supported values: {listed}",
        path,
    )


def duplicate(path: str, value: Any) -> Cause:
    return Cause("FieldValueDuplicate", f"Duplicate value: {render(value)}", path)


def not_found(path: str, value: Any) -> Cause:
    return Cause("FieldValueNotFound", f"Not found: {render(value)}", path)


def forbidden(path: str, detail: str) -> Cause:
    return Cause("FieldValueForbidden", f"Forbidden: {detail}", path)


def too_long(path: str, limit: int) -> Cause:
    unit = "byte" if limit == 1 else "bytes"
    return Cause("FieldValueTooLong", f"Too long: may not be more than {limit} {unit}", path)


IMMUTABLE = "field is immutable"


def immutable(path: str, value: Any) -> Cause:
    """A field that may not change once set; Kubernetes reports the new value."""
    return invalid(path, value, IMMUTABLE)


def unchanged(path: str, new: Any, old: Any) -> list[Cause]:
    """[immutable cause] when `new` differs from `old`, else []."""
    return [] if new == old else [immutable(path, new)]


def check(path: str, value: Any, messages: Iterable[str]) -> list[Cause]:
    """One Invalid cause per message an `is_*` check returned."""
    return [invalid(path, value, m) for m in messages]


def one_of(path: str, value: Any, allowed: Iterable[str]) -> list[Cause]:
    """[] when `value` is one of `allowed` (listed in the order given)."""
    allowed = list(allowed)
    return [] if value in allowed else [not_supported(path, value, allowed)]


def non_negative(path: str, value: Any) -> list[Cause]:
    if isinstance(value, int) and value < 0:
        return [invalid(path, value, "must be greater than or equal to 0")]
    return []


def in_range(path: str, value: Any, low: int, high: int) -> list[Cause]:
    if isinstance(value, int) and not low <= value <= high:
        return [invalid(path, value, inclusive_range_error(low, high))]
    return []


# --- messages ------------------------------------------------------------------


def regex_error(message: str, pattern: str, *examples: str) -> str:
    """Kubernetes' wording for a value that does not match a pattern,
    examples and all (the doubled space before "or" is theirs)."""
    shown = "".join(("" if i == 0 else " or ") + f"'{e}', " for i, e in enumerate(examples))
    return f"{message} (e.g. {shown}regex used for validation is '{pattern}')"


def max_len_error(length: int) -> str:
    return f"must be no more than {length} characters"


def inclusive_range_error(low: int, high: int) -> str:
    return f"must be between {low} and {high}, inclusive"


EMPTY_ERROR = "must be non-empty"

# --- names ---------------------------------------------------------------------

DNS1123_LABEL_MAX = 63
DNS1123_SUBDOMAIN_MAX = 253

_LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_LABEL_MSG = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters "
    "or '-', and must start and end with an alphanumeric character"
)
_SUBDOMAIN_FMT = _LABEL_FMT + r"(\." + _LABEL_FMT + ")*"
_SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "
    "'-' or '.', and must start and end with an alphanumeric character"
)
_DNS1035_FMT = "[a-z]([-a-z0-9]*[a-z0-9])?"
_DNS1035_MSG = (
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', "
    "start with an alphabetic character, and end with an alphanumeric character"
)
_QUALIFIED_FMT = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_QUALIFIED_MSG = (
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end "
    "with an alphanumeric character"
)
_LABEL_VALUE_FMT = f"({_QUALIFIED_FMT})?"
_LABEL_VALUE_MSG = (
    "a valid label must be an empty string or consist of alphanumeric characters, "
    "'-', '_' or '.', and must start and end with an alphanumeric character"
)
_CONFIG_KEY_FMT = "[-._a-zA-Z0-9]+"
_CONFIG_KEY_MSG = "a valid config key must consist of alphanumeric characters, '-', '_' or '.'"


def _full(pattern: str) -> re.Pattern[str]:
    return re.compile(f"(?:{pattern})")


_LABEL_RE = _full(_LABEL_FMT)
_SUBDOMAIN_RE = _full(_SUBDOMAIN_FMT)
_DNS1035_RE = _full(_DNS1035_FMT)
_QUALIFIED_RE = _full(_QUALIFIED_FMT)
_LABEL_VALUE_RE = _full(_LABEL_VALUE_FMT)
_CONFIG_KEY_RE = _full(_CONFIG_KEY_FMT)


def is_dns1123_label(value: str) -> list[str]:
    errs = []
    if len(value) > DNS1123_LABEL_MAX:
        errs.append(max_len_error(DNS1123_LABEL_MAX))
    if not _LABEL_RE.fullmatch(value):
        errs.append(regex_error(_LABEL_MSG, _LABEL_FMT, "my-name", "123-abc"))
    return errs


def is_dns1123_subdomain(value: str) -> list[str]:
    errs = []
    if len(value) > DNS1123_SUBDOMAIN_MAX:
        errs.append(max_len_error(DNS1123_SUBDOMAIN_MAX))
    if not _SUBDOMAIN_RE.fullmatch(value):
        errs.append(regex_error(_SUBDOMAIN_MSG, _SUBDOMAIN_FMT, "example.com"))
    return errs


def is_dns1035_label(value: str) -> list[str]:
    errs = []
    if len(value) > DNS1123_LABEL_MAX:
        errs.append(max_len_error(DNS1123_LABEL_MAX))
    if not _DNS1035_RE.fullmatch(value):
        errs.append(regex_error(_DNS1035_MSG, _DNS1035_FMT, "my-name", "abc-123"))
    return errs


def is_qualified_name(value: str) -> list[str]:
    """A name with an optional DNS subdomain prefix: "app", "example.com/app"."""
    parts = value.split("/")
    if len(parts) == 1:
        name = parts[0]
        errs: list[str] = []
    elif len(parts) == 2:
        prefix, name = parts
        if not prefix:
            errs = ["prefix part " + EMPTY_ERROR]
        else:
            errs = ["prefix part " + m for m in is_dns1123_subdomain(prefix)]
    else:
        return [
            "a qualified name "
            + regex_error(_QUALIFIED_MSG, _QUALIFIED_FMT, "MyName", "my.name", "123-abc")
            + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
        ]
    if not name:
        errs.append("name part " + EMPTY_ERROR)
    elif len(name) > DNS1123_LABEL_MAX:
        errs.append("name part " + max_len_error(DNS1123_LABEL_MAX))
    if not _QUALIFIED_RE.fullmatch(name):
        errs.append(
            "name part "
            + regex_error(_QUALIFIED_MSG, _QUALIFIED_FMT, "MyName", "my.name", "123-abc")
        )
    return errs


def is_valid_label_key(value: str) -> list[str]:
    return is_qualified_name(value)


def is_valid_label_value(value: str) -> list[str]:
    errs = []
    if len(value) > DNS1123_LABEL_MAX:
        errs.append(max_len_error(DNS1123_LABEL_MAX))
    if not _LABEL_VALUE_RE.fullmatch(value):
        errs.append(regex_error(_LABEL_VALUE_MSG, _LABEL_VALUE_FMT, "MyValue", "my_value", "12345"))
    return errs


def is_config_map_key(value: str) -> list[str]:
    """A key of ConfigMap or Secret data (it becomes a file name)."""
    errs = []
    if len(value) > DNS1123_SUBDOMAIN_MAX:
        errs.append(max_len_error(DNS1123_SUBDOMAIN_MAX))
    if not _CONFIG_KEY_RE.fullmatch(value):
        errs.append(
            regex_error(_CONFIG_KEY_MSG, _CONFIG_KEY_FMT, "key.name", "KEY_NAME", "key-name")
        )
    if value == ".":
        errs.append("must not be '.'")
    elif value == "..":
        errs.append("must not be '..'")
    elif value.startswith(".."):
        errs.append("must not start with '..'")
    return errs


def is_env_var_name(value: str) -> list[str]:
    """Environment variable names: any printable ASCII except '=' (the
    relaxed rule Kubernetes applies since 1.32)."""
    if not value:
        return ["environment variable name " + EMPTY_ERROR]
    if any(not 32 <= ord(c) <= 126 or c == "=" for c in value):
        return [
            "a valid environment variable name must consist only of printable ASCII "
            "characters other than '='"
        ]
    return []


# Functions a kind passes to validate_object_meta to check metadata.name:
# (name, is_generate_name_prefix) -> messages. A generateName prefix may end in "-".
NameCheck = Callable[[str, bool], list[str]]


def _prefix_masked(check_fn: Callable[[str], list[str]]) -> NameCheck:
    def name_check(name: str, prefix: bool) -> list[str]:
        if prefix and name.endswith("-"):
            name = name[:-1] + "a"
        return check_fn(name)

    return name_check


name_is_dns_subdomain: NameCheck = _prefix_masked(is_dns1123_subdomain)
name_is_dns_label: NameCheck = _prefix_masked(is_dns1123_label)
name_is_dns1035_label: NameCheck = _prefix_masked(is_dns1035_label)

# --- ports and addresses -------------------------------------------------------

_PORT_NAME_CHARS = re.compile("[-a-z0-9]+")


def is_valid_port_num(port: Any) -> list[str]:
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        return [inclusive_range_error(1, 65535)]
    return []


def is_valid_port_name(name: str) -> list[str]:
    """An IANA service name: at most 15 lowercase alphanumerics and '-',
    with a letter, no '--', not starting or ending in '-'."""
    errs = []
    if len(name) > 15:
        errs.append(max_len_error(15))
    if not _PORT_NAME_CHARS.fullmatch(name):
        errs.append("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
    if not re.search("[a-z]", name):
        errs.append("must contain at least one letter (a-z)")
    if "--" in name:
        errs.append("must not contain consecutive hyphens")
    if name.startswith("-") or name.endswith("-"):
        errs.append("must not begin or end with a hyphen")
    return errs


def is_valid_ip(value: str) -> list[str]:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return ["must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"]
    return []


def port_num_or_name(path: str, value: Any) -> list[Cause]:
    """A target port: a number 1-65535 or an IANA port name."""
    if isinstance(value, int) and not isinstance(value, bool):
        return check(path, value, is_valid_port_num(value))
    if isinstance(value, str):
        return check(path, value, is_valid_port_name(value))
    return [invalid(path, value, "must be an integer or a string")]


# --- labels --------------------------------------------------------------------


def validate_labels(labels: Any, path: str) -> list[Cause]:
    """Label keys are qualified names, values at most 63 characters of
    alphanumerics, '-', '_' and '.' (or empty)."""
    if labels is None:
        return []
    if not isinstance(labels, Mapping):
        return [invalid(path, labels, "must be a map of strings")]
    causes = []
    for key, value in labels.items():
        causes += check(path, key, is_valid_label_key(key))
        if not isinstance(value, str):
            causes.append(invalid(path, value, "must be a string"))
        else:
            causes += check(path, value, is_valid_label_value(value))
    return causes


# --- quantities ----------------------------------------------------------------

_QUANTITY_RE = re.compile(r"([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))([a-zA-Z]*|[eE][-+]?[0-9]+)")
_SUFFIXES = {
    "": Fraction(1),
    "n": Fraction(1, 10**9), "u": Fraction(1, 10**6), "m": Fraction(1, 1000),
    "k": Fraction(10**3), "M": Fraction(10**6), "G": Fraction(10**9),
    "T": Fraction(10**12), "P": Fraction(10**15), "E": Fraction(10**18),
    "Ki": Fraction(2**10), "Mi": Fraction(2**20), "Gi": Fraction(2**30),
    "Ti": Fraction(2**40), "Pi": Fraction(2**50), "Ei": Fraction(2**60),
}
QUANTITY_ERROR = (
    "quantities must match the regular expression "
    "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
)


def parse_quantity(value: Any) -> Fraction | None:
    """The exact value of a resource quantity ("100m", "1Gi", "2e3", 3),
    or None if it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, float):
        return Fraction(value)
    if not isinstance(value, str):
        return None
    match = _QUANTITY_RE.fullmatch(value.strip())
    if not match:
        return None
    number, suffix = match.groups()
    if suffix[:1] in ("e", "E"):
        return Fraction(number) * Fraction(10) ** int(suffix[1:])
    scale = _SUFFIXES.get(suffix)
    return None if scale is None else Fraction(number) * scale
