"""What earlier kubelite versions stored elsewhere, moved at start-up to
where this one keeps it, so that a cluster's data outlives an upgrade. Each
step is idempotent and safe with several API servers starting at once.

- events.k8s.io Events used to be stored apart, in their own shape, under
  /registry/events.k8s.io/events/; they now live with core's Events, as
  core Events, under /registry/events/.
"""

from __future__ import annotations

import logging

from kubelite.api.core.events import EVENTS
from kubelite.api.events.events import to_core
from kubelite.apiserver import errors
from kubelite.apiserver.storage import Storage

log = logging.getLogger("kubelite.apiserver")

OLD_EVENTS = "/registry/events.k8s.io/events/"


async def migrate(storage: Storage) -> None:
    listed = await storage.list(OLD_EVENTS)
    for event in listed.items:
        meta = event["metadata"]
        where = f"{meta.get('namespace')}/{meta.get('name')}"
        try:
            await storage.create(EVENTS.key_root + where, to_core(event))
        except errors.StatusError as e:
            if e.reason != "AlreadyExists":
                raise
        await errors.unless_gone(storage.delete(OLD_EVENTS + where))
    if listed.items:
        log.info("apiserver: moved %d events.k8s.io events to %s", len(listed.items),
                 EVENTS.key_root)
