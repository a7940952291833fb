"""JSON merge patch (RFC 7386): a patch object names the members to
change; null removes a member, an object is merged into the member
recursively, and any other value (lists included) replaces it. A patch
that is not an object replaces the whole document.
"""

from __future__ import annotations

import copy
from typing import Any


def apply(doc: Any, patch: Any) -> Any:
    """`doc` with `patch` merged in; neither input is changed."""
    return _merge(copy.deepcopy(doc), patch)


def _merge(target: Any, patch: Any) -> Any:
    """Merge `patch` into `target`, which this function owns and may change."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    if not isinstance(target, dict):
        target = {}
    for name, value in patch.items():
        if value is None:
            target.pop(name, None)
        else:
            target[name] = _merge(target.get(name), value)
    return target
