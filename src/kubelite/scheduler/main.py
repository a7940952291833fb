"""`kubelite scheduler`: kube-scheduler's flags (--kubeconfig,
--kube-api-qps/-burst, --leader-elect*, --config, --secure-port,
--bind-address), leader election on the kube-system/kube-scheduler Lease,
/healthz and /metrics on HTTPS port 10259.

Flags given on the command line win over the --config file's
clientConnection and leaderElection. A replica that loses its lease exits
(code 1), as kube-scheduler does, so that a supervisor starts it again as
a standby.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
from collections.abc import Sequence

from kubelite.client.config import ConfigError as ClientConfigError
from kubelite.client.config import add_client_flags, config_from_flags
from kubelite.client.errors import ApiError, TransportError
from kubelite.client.events import EventRecorder
from kubelite.client.informer import SharedInformerFactory
from kubelite.client.leaderelection import (
    LeaderElector,
    add_leader_election_flags,
    default_identity,
    leader_election_config_from_flags,
)
from kubelite.client.rest import Client
from kubelite.scheduler import config
from kubelite.scheduler.framework.profile import Profile
from kubelite.scheduler.process import Scheduler
from kubelite.serving import HealthServer, add_serving_flags

log = logging.getLogger("kubelite.scheduler")

SECURE_PORT = 10259
SYNC_TIMEOUT = 60.0
RETRY = 1.0


class StartupError(Exception):
    """The scheduler cannot start or go on; the message says why."""


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="kubelite scheduler",
                                description="assign pods to nodes, as kube-scheduler does")
    p.add_argument("--config", default="",
                   help="a KubeSchedulerConfiguration file (kubescheduler.config.k8s.io/v1)")
    add_client_flags(p, qps=50, burst=100)
    add_leader_election_flags(p, "kube-scheduler")
    add_serving_flags(p, SECURE_PORT)
    return p


def parse(argv: Sequence[str]) -> tuple[argparse.Namespace, list[Profile]]:
    """The flags, and the profiles (the config file's, or the default)."""
    p = parser()
    first, _ = p.parse_known_args(argv)
    doc: dict = {"apiVersion": config.API_VERSION, "kind": config.KIND}
    if first.config:
        try:
            doc = config.load(first.config)
            p.set_defaults(**config.connection(doc), **config.leader_election(doc))
        except (config.ConfigError, argparse.ArgumentTypeError) as e:
            p.error(str(e))
    args = p.parse_args(argv)
    try:
        profiles = config.profiles(doc)
        leader_election_config_from_flags(args)
    except (config.ConfigError, ValueError) as e:
        p.error(str(e))
    return args, profiles


async def _pause(stop: asyncio.Event, seconds: float) -> None:
    try:
        async with asyncio.timeout(seconds):
            await stop.wait()
    except TimeoutError:
        pass


async def _first_contact(sched: Scheduler, stop: asyncio.Event) -> None:
    """Wait for the API server (it may be starting beside us)."""
    while not stop.is_set():
        try:
            await sched.watch_disruption_budgets()
            return
        except (TransportError, ApiError) as e:
            log.info("waiting for the API server: %s", e)
            await _pause(stop, RETRY)


async def serve(args: argparse.Namespace, profiles: list[Profile], stop: asyncio.Event) -> None:
    try:
        client_config = config_from_flags(args)
    except ClientConfigError as e:
        raise StartupError(str(e)) from e
    client = Client(client_config, "kube-scheduler")
    factory = SharedInformerFactory(client)
    sched = Scheduler(client, factory, profiles)
    identity = default_identity()
    health = HealthServer("kube-scheduler", sched.metrics.registry)
    try:
        await health.start(args)
    except OSError as e:
        await client.close()
        raise StartupError(f"serving on {args.bind_address}:{args.secure_port}: {e}") from e
    try:
        await _first_contact(sched, stop)
        factory.start()
        while not stop.is_set() and not await factory.wait_for_cache_sync(SYNC_TIMEOUT):
            log.info("waiting for the informers to sync")
        if stop.is_set():
            return
        await _lead(client, args, sched, identity, stop)
    finally:
        await health.stop()
        await sched.close()
        await factory.shutdown()
        await client.close()


async def _lead(client: Client, args: argparse.Namespace, sched: Scheduler, identity: str,
                stop: asyncio.Event) -> None:
    """Schedule while leading (always, with --leader-elect=false) until
    `stop`; StartupError when leadership is lost or scheduling fails."""
    crashed: asyncio.Future[BaseException] = asyncio.get_running_loop().create_future()

    le = leader_election_config_from_flags(args)
    leading = sched.metrics.leader.labels(le.name if le is not None else "kube-scheduler")
    leading.set(0)

    async def schedule() -> None:
        leading.set(1)
        try:
            await sched.run()
        except asyncio.CancelledError:
            raise
        except Exception as e:  # a bug: end the process rather than lead without scheduling
            log.exception("the scheduling loop failed")
            if not crashed.done():
                crashed.set_result(e)
        finally:
            leading.set(0)

    if le is None:
        work = asyncio.create_task(schedule())
    else:
        recorder = EventRecorder(client, "kube-scheduler", identity)
        elector = LeaderElector(client, le, identity, on_started_leading=schedule,
                                recorder=recorder)
        work = asyncio.create_task(elector.run())
    stopping = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait([work, stopping, crashed], return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopping.cancel()
        if le is not None and not work.done():
            elector.stop()
            await work
            await recorder.stop()
        elif not work.done():
            work.cancel()
            await asyncio.gather(work, return_exceptions=True)
    if crashed.done():
        raise StartupError(f"the scheduling loop failed: {crashed.result()}")
    if not stop.is_set():
        raise StartupError("leaderelection lost")
