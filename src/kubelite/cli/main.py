"""The `kubelite` command: one subcommand per component.

Components that have landed: `store` (the etcd-compatible store, taking
etcd's flags), `apiserver` (the Kubernetes API over an etcd store, taking
kube-apiserver's flags), `scheduler` (kube-scheduler's job and flags),
`agent` (the node agent; simulated nodes so far) and `server` (everything
on one machine). Each runs
until SIGTERM or SIGINT, logging one line per event that matters.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from collections.abc import Awaitable, Callable

import uvloop

COMMANDS = {
    "store": "the etcd-v3-compatible key-value store (takes etcd's flags)",
    "apiserver": "the Kubernetes API over an etcd store (takes kube-apiserver's flags)",
    "scheduler": "assign pods to nodes (takes kube-scheduler's flags)",
    "agent": "the node agent; --simulate N registers N simulated nodes (kubelet's flags)",
    "server": "run the whole cluster on this machine: store, API server and scheduler",
}

log = logging.getLogger("kubelite")


# What a component that cannot start says before the reason, by the error
# it raises; anything else is a bug and shows its traceback.
def _fatal_store() -> dict[type[Exception], str]:
    from kubelite.store.wal import WALCorruptError

    return {WALCorruptError: "store: cannot start, the write-ahead log is damaged"}


def _fatal_apiserver() -> dict[type[Exception], str]:
    from kubelite.apiserver.main import StartupError

    return {StartupError: "apiserver: cannot start"}


def _fatal_scheduler() -> dict[type[Exception], str]:
    from kubelite.scheduler.main import StartupError

    return {StartupError: "scheduler"}


def _fatal_agent() -> dict[type[Exception], str]:
    from kubelite.agent.main import StartupError

    return {StartupError: "agent: cannot start"}


def run_until_signalled(serve: Callable[[asyncio.Event], Awaitable[None]],
                        fatal: dict[type[Exception], str]) -> None:
    """Run `serve(stop)` on uvloop; SIGTERM or SIGINT sets `stop`. An error
    in `fatal` ends the process with one line and exit code 1."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s"
    )

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await serve(stop)

    try:
        uvloop.run(main())
    except tuple(fatal) as e:
        prefix = next(text for kind, text in fatal.items() if isinstance(e, kind))
        log.error("%s: %s", prefix, e)
        sys.exit(1)


def _store(argv: list[str]) -> None:
    from kubelite.store import config, main

    cfg = config.parse(argv)
    run_until_signalled(lambda stop: main.serve(cfg, stop), _fatal_store())


def _apiserver(argv: list[str]) -> None:
    from kubelite.apiserver import main

    cfg = main.parse(argv)
    run_until_signalled(lambda stop: main.serve(cfg, stop), _fatal_apiserver())


def _scheduler(argv: list[str]) -> None:
    from kubelite.scheduler import main

    args, profiles = main.parse(argv)
    run_until_signalled(lambda stop: main.serve(args, profiles, stop), _fatal_scheduler())


def _agent(argv: list[str]) -> None:
    from kubelite.agent import main

    cfg = main.parse(argv)
    run_until_signalled(lambda stop: main.serve(cfg, stop), _fatal_agent())


def _server(argv: list[str]) -> None:
    from kubelite.apiserver import main as apiserver
    from kubelite.scheduler import main as scheduler
    from kubelite.store import config as store_config
    from kubelite.store import main as store

    p = argparse.ArgumentParser(prog="kubelite server", description=COMMANDS["server"])
    p.add_argument("--data-dir", default=os.path.abspath(".kubelite"))
    p.add_argument("--etcd-listen-client-url", default="http://127.0.0.1:2379")
    p.add_argument("--secure-port", type=int, default=6443)
    p.add_argument("--write-kubeconfig", help="also write the admin kubeconfig here")
    a = p.parse_args(argv)
    store_cfg = store_config.parse([
        "--data-dir", os.path.join(a.data_dir, "store"),
        "--listen-client-urls", a.etcd_listen_client_url,
        "--advertise-client-urls", a.etcd_listen_client_url,
    ])
    api_argv = [
        "--etcd-servers", a.etcd_listen_client_url,
        "--secure-port", str(a.secure_port),
        "--data-dir", os.path.join(a.data_dir, "apiserver"),
    ]
    if a.write_kubeconfig:
        api_argv += ["--write-kubeconfig", a.write_kubeconfig]
    api_cfg = apiserver.parse(api_argv)

    kubeconfig = os.path.join(a.data_dir, "apiserver", "admin.kubeconfig")
    sched_args, profiles = scheduler.parse(["--kubeconfig", kubeconfig, "--secure-port", "0"])

    async def schedule(stop: asyncio.Event) -> None:
        # The API server writes the kubeconfig as it starts.
        while not os.path.exists(kubeconfig) and not stop.is_set():
            await asyncio.sleep(0.1)
        if not stop.is_set():
            await scheduler.serve(sched_args, profiles, stop)

    async def serve(stop: asyncio.Event) -> None:
        await run_side_by_side([
            lambda s: store.serve(store_cfg, s),
            lambda s: apiserver.serve(api_cfg, s),
            schedule,
        ], stop)

    run_until_signalled(serve, {**_fatal_store(), **_fatal_apiserver(), **_fatal_scheduler()})


async def run_side_by_side(parts: list[Callable[[asyncio.Event], Awaitable[None]]],
                           stop: asyncio.Event) -> None:
    """Run components in one process until `stop`, or until one of them
    ends (its error is raised). They stop last-started first, so that each
    leaves through the ones before it (the API server through the store,
    the scheduler through the API server)."""
    events = [asyncio.Event() for _ in parts]
    tasks = [asyncio.create_task(part(event)) for part, event in zip(parts, events, strict=True)]
    stopping = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait([*tasks, stopping], return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopping.cancel()
        for event, task in reversed(list(zip(events, tasks, strict=True))):
            event.set()
            await asyncio.wait([task])
    for task in tasks:
        if task.exception() is not None:
            raise task.exception()


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] in ("-h", "--help") or args[0] not in COMMANDS:
        lines = [f"  {name:<10} {text}" for name, text in COMMANDS.items()]
        print("usage: kubelite COMMAND [flags]\n\ncommands:\n" + "\n".join(lines))
        sys.exit(0 if args and args[0] in ("-h", "--help") else 2)
    {"store": _store, "apiserver": _apiserver, "scheduler": _scheduler,
     "agent": _agent, "server": _server}[args[0]](args[1:])
