"""The `kubelite` command: one subcommand per component.

Components that have landed: `store` (the etcd-compatible store, taking
etcd's flags), `apiserver` (the Kubernetes API over an etcd store, taking
kube-apiserver's flags) and `server` (everything on one machine).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys

import uvloop

COMMANDS = {
    "store": "the etcd-v3-compatible key-value store (takes etcd's flags)",
    "apiserver": "the Kubernetes API over an etcd store (takes kube-apiserver's flags)",
    "server": "run the whole cluster on this machine: store and API server",
}


def _server(argv: list[str]) -> None:
    from kubelite.apiserver import main as apiserver
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
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s"
    )

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        store_task = asyncio.create_task(store.serve(store_cfg, stop))
        await asyncio.sleep(0)  # the store listens before the API server connects
        try:
            await apiserver.serve(api_cfg, stop)
        finally:
            stop.set()
            await store_task

    uvloop.run(main())


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] in ("-h", "--help") or args[0] not in COMMANDS:
        lines = [f"  {name:<10} {text}" for name, text in COMMANDS.items()]
        print("usage: kubelite COMMAND [flags]\n\ncommands:\n" + "\n".join(lines))
        sys.exit(0 if args and args[0] in ("-h", "--help") else 2)
    command, rest = args[0], args[1:]
    if command == "store":
        from kubelite.store.main import run

        run(rest)
    elif command == "apiserver":
        from kubelite.apiserver.main import run as run_apiserver

        run_apiserver(rest)
    else:
        _server(rest)
