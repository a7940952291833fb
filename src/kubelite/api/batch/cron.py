"""The cron schedule syntax CronJobs use, checked as Kubernetes' parser
checks it (with the same error messages).

A schedule is five whitespace-separated fields — minute (0-59), hour
(0-23), day of month (1-31), month (1-12 or jan-dec), day of week (0-6 or
sun-sat) — each a comma-separated list of `*` or `?`, a number or name, or
a range `a-b`, optionally with a step `/n` (`5/15` means `5-max/15`). A
schedule may instead be a descriptor: @yearly (@annually), @monthly,
@weekly, @daily (@midnight), @hourly or `@every <duration>`.
"""

from __future__ import annotations

import re
import zoneinfo

MONTHS = {name: i for i, name in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"),
    start=1)}
WEEKDAYS = {name: i for i, name in enumerate(("sun", "mon", "tue", "wed", "thu", "fri", "sat"))}
# (lowest, highest, names) of each field, in order.
FIELDS: tuple[tuple[int, int, dict[str, int]], ...] = (
    (0, 59, {}), (0, 23, {}), (1, 31, {}), (1, 12, MONTHS), (0, 6, WEEKDAYS),
)
DESCRIPTORS = ("@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly")
_INT = re.compile(r"[+-]?[0-9]+")
_DURATION = re.compile(r"[+-]?(0|([0-9]*(\.[0-9]*)?(ns|us|µs|ms|s|m|h))+)")


class CronError(ValueError):
    pass


def _number(text: str) -> int:
    if not _INT.fullmatch(text):
        raise CronError(f'failed to parse int from {text}: strconv.Atoi: parsing "{text}": '
                        "invalid syntax")
    value = int(text)
    if value < 0:
        raise CronError(f"negative number ({value}) not allowed: {text}")
    return value


def _number_or_name(text: str, names: dict[str, int]) -> int:
    return names[text.lower()] if text.lower() in names else _number(text)


def _range(expr: str, low: int, high: int, names: dict[str, int]) -> set[int]:
    range_and_step = expr.split("/")
    bounds = range_and_step[0].split("-")
    if bounds[0] in ("*", "?"):
        start, end = low, high
    else:
        start = _number_or_name(bounds[0], names)
        if len(bounds) == 1:
            end = start
        elif len(bounds) == 2:
            end = _number_or_name(bounds[1], names)
        else:
            raise CronError(f"too many hyphens: {expr}")
    if len(range_and_step) == 1:
        step = 1
    elif len(range_and_step) == 2:
        step = _number(range_and_step[1])
        if len(bounds) == 1:
            end = high
    else:
        raise CronError(f"too many slashes: {expr}")
    if start < low:
        raise CronError(f"beginning of range ({start}) below minimum ({low}): {expr}")
    if end > high:
        raise CronError(f"end of range ({end}) above maximum ({high}): {expr}")
    if start > end:
        raise CronError(f"beginning of range ({start}) beyond end of range ({end}): {expr}")
    if step == 0:
        raise CronError(f"step of range should be a positive number: {expr}")
    return set(range(start, end + 1, step))


def _descriptor(spec: str) -> None:
    if spec.startswith("@every "):
        duration = spec.removeprefix("@every ")
        if not _DURATION.fullmatch(duration):
            raise CronError(f'failed to parse duration {spec}: time: invalid duration '
                            f'"{duration}"')
    elif spec not in DESCRIPTORS:
        raise CronError(f"unrecognized descriptor: {spec}")


def parse(spec: str) -> tuple[set[int], ...] | None:
    """The minutes, hours, days of month, months and weekdays a schedule
    names (None for a descriptor); CronError says what is wrong."""
    if not spec:
        raise CronError("empty spec string")
    if spec.startswith(("TZ=", "CRON_TZ=")):
        location, _, spec = spec.partition(" ")
        zone = location.partition("=")[2]
        try:
            zoneinfo.ZoneInfo(zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise CronError(f"provided bad location {zone}: unknown time zone {zone}") from None
        spec = spec.strip()
    if spec.startswith("@"):
        _descriptor(spec)
        return None
    fields = spec.split()
    if len(fields) != len(FIELDS):
        raise CronError(f"expected exactly {len(FIELDS)} fields, found {len(fields)}: "
                        f"[{' '.join(fields)}]")
    return tuple(
        set().union(*(_range(part, low, high, names) for part in text.split(",")))
        for text, (low, high, names) in zip(fields, FIELDS, strict=True)
    )


def schedule_error(spec: str) -> str | None:
    """Why a schedule is invalid, or None."""
    try:
        parse(spec)
    except CronError as e:
        return str(e)
    return None
