"""`kubelite agent`: flags and the process. Only `--simulate N` exists so
far: N simulated nodes (sim/), registered and kept alive through the API
server like kubelets, with their pods moved through their lifecycle
without running anything. The flags keep the kubelet's names where it has
them (--register-with-taints, --node-labels, --max-pods,
--node-status-update-frequency, --node-lease-duration-seconds)."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kubelite.agent.sim.config import (
    DEFAULT_CAPACITY,
    SimConfig,
    parse_capacity,
    parse_labels,
    parse_seconds,
    parse_taints,
)
from kubelite.agent.sim.simulator import Simulator, StartupError
from kubelite.client.config import (
    ClientConfig,
    ConfigError,
    add_client_flags,
    config_from_flags,
)
from kubelite.client.leaderelection import parse_duration
from kubelite.client.rest import Client

__all__ = ["AgentConfig", "StartupError", "parse", "serve"]

# One client for every simulated node: N/10 lease renewals a second at the
# default lease duration, N/300 status heartbeats, and the pods' writes.
# 1000 QPS carries 5,000 nodes with room for pods; raise it for more.
DEFAULT_QPS = 1000.0
DEFAULT_BURST = 2000


@dataclass(frozen=True)
class AgentConfig:
    client: ClientConfig
    sim: SimConfig


def _type(parse_fn: Callable[[str], Any]) -> Callable[[str], Any]:
    """A ValueError from one of our parsers as argparse's own error."""
    def convert(text: str) -> Any:
        try:
            return parse_fn(text)
        except ValueError as e:
            raise argparse.ArgumentTypeError(str(e)) from None
    convert.__name__ = parse_fn.__name__
    return convert


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="kubelite agent",
        description="The node agent. For now only simulated nodes: --simulate N registers N "
                    "nodes and moves the pods bound to them through their lifecycle without "
                    "running anything, as kwok does.")
    add_client_flags(p, qps=DEFAULT_QPS, burst=DEFAULT_BURST)
    g = p.add_argument_group("simulated nodes")
    g.add_argument("--simulate", type=int, metavar="N",
                   help="simulate N nodes (required for now)")
    g.add_argument("--node-name-prefix", default="sim-node-",
                   help="the nodes are named <prefix>0 .. <prefix>N-1 (default sim-node-)")
    default_capacity = ",".join(f"{k}={v}" for k, v in DEFAULT_CAPACITY.items())
    g.add_argument("--capacity", type=_type(parse_capacity), default={},
                   help=f"each node's capacity (and allocatable), resource=quantity,... "
                        f"over the defaults {default_capacity}")
    g.add_argument("--max-pods", type=int,
                   help="pods each node may run (the capacity's pods; default 110)")
    g.add_argument("--node-labels", type=_type(parse_labels), default={},
                   help="labels added to each node at registration, key=value,...")
    g.add_argument("--register-with-taints", type=_type(parse_taints), default=[],
                   help="taints each node registers with, key=value:Effect,...")
    g.add_argument("--zones", type=int, default=1,
                   help="spread the nodes round-robin over topology.kubernetes.io/zone "
                        "zone-0 .. zone-<N-1> (in region region-0); 0: no topology labels "
                        "(default 1)")
    g.add_argument("--node-status-update-frequency", type=_type(parse_duration), default=10.0,
                   metavar="DURATION",
                   help="how often each node checks its status; it is sent when it changed, "
                        "or every 5 minutes (default 10s)")
    g.add_argument("--node-lease-duration-seconds", type=int, default=40,
                   help="duration of each node's Lease, renewed every quarter of it "
                        "(default 40)")
    g.add_argument("--pod-ready-delay", type=_type(parse_seconds), default=1.0,
                   metavar="SECONDS",
                   help="seconds from a pod's binding to Running and Ready, and from a start "
                        "to the exit of a container that exits (default 1)")
    g.add_argument("--pod-cidr-base", default="",
                   help="node i gets the i-th /24 of it as spec.podCIDR if it has none "
                        "(default 10.244.0.0/16, or for more than 256 nodes the smallest "
                        "block around it that holds them: 10.244.0.0/14 for 1,024)")
    g.add_argument("--node-ip-base", default="10.0.0.0/16",
                   help="node i's InternalIP is address i+1 of it (default 10.0.0.0/16)")
    return p


def parse(argv: list[str]) -> AgentConfig:
    p = parser()
    a = p.parse_args(argv)
    if a.simulate is None:
        p.exit(2, f"{p.prog}: error: --simulate N is required: only simulated nodes exist "
                  "so far (the agent that runs pods comes later)\n")
    capacity = {**DEFAULT_CAPACITY, **a.capacity}
    if a.max_pods is not None:
        if a.max_pods < 0:
            p.error("--max-pods must not be negative")
        capacity["pods"] = str(a.max_pods)
    sim = SimConfig(
        count=a.simulate,
        name_prefix=a.node_name_prefix,
        capacity=capacity,
        labels=a.node_labels,
        taints=tuple(a.register_with_taints),
        zones=a.zones,
        node_status_update_frequency=a.node_status_update_frequency,
        lease_duration_seconds=a.node_lease_duration_seconds,
        pod_ready_delay=a.pod_ready_delay,
        pod_cidr_base=a.pod_cidr_base,
        node_ip_base=a.node_ip_base,
    )
    try:
        sim.validate()
        client = config_from_flags(a)
    except (ValueError, ConfigError) as e:
        p.error(str(e))
    return AgentConfig(client=client, sim=sim)


async def serve(cfg: AgentConfig, stop: asyncio.Event) -> None:
    """Simulate the nodes until `stop` is set."""
    client = Client(cfg.client, "agent")
    try:
        await Simulator(client, cfg.sim).run(stop)
    finally:
        await client.close()
