"""The `kubelite` command: one subcommand per component.

Components that have landed: `store` (the etcd-compatible store, taking
etcd's flags) and `server` (everything on one machine; for now the store).
"""

from __future__ import annotations

import argparse
import os
import sys

COMMANDS = {
    "store": "the etcd-v3-compatible key-value store (takes etcd's flags)",
    "server": "run the whole cluster on this machine (for now: the store)",
}


def _server(argv: list[str]) -> None:
    p = argparse.ArgumentParser(prog="kubelite server", description=COMMANDS["server"])
    p.add_argument("--data-dir", default=os.path.abspath(".kubelite"))
    p.add_argument("--etcd-listen-client-url", default="http://127.0.0.1:2379")
    a = p.parse_args(argv)
    from kubelite.store.main import run

    run([
        "--data-dir", os.path.join(a.data_dir, "store"),
        "--listen-client-urls", a.etcd_listen_client_url,
        "--advertise-client-urls", a.etcd_listen_client_url,
    ])


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
    else:
        _server(rest)
