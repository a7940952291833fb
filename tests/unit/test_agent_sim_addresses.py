"""Addresses of simulated nodes and pods: each node's InternalIP and pod
range, and the pool that hands out pod IPs as the host-local CNI plugin
does (never the network address, the gateway or the broadcast address;
round-robin from the last address given)."""

import ipaddress

from kubelite.agent.sim.addresses import IPPool, node_ip, node_pod_cidr

NODES = ipaddress.IPv4Network("10.0.0.0/16")
PODS = ipaddress.IPv4Network("10.244.0.0/16")


def test_node_ip_is_address_i_plus_one():
    assert node_ip(NODES, 0) == "10.0.0.1"
    assert node_ip(NODES, 1) == "10.0.0.2"
    assert node_ip(NODES, 255) == "10.0.1.0"
    assert node_ip(NODES, 999) == "10.0.3.232"


def test_node_pod_cidr_is_the_ith_slash_24():
    assert node_pod_cidr(PODS, 0) == "10.244.0.0/24"
    assert node_pod_cidr(PODS, 1) == "10.244.1.0/24"
    assert node_pod_cidr(PODS, 255) == "10.244.255.0/24"
    assert node_pod_cidr(ipaddress.IPv4Network("10.244.0.0/14"), 999) == "10.247.231.0/24"


def test_pool_skips_network_gateway_and_broadcast():
    pool = IPPool("10.244.3.0/24")
    assert pool.size == 253
    assert pool.allocate("a") == "10.244.3.2"
    assert pool.allocate("b") == "10.244.3.3"
    assert not pool.contains("10.244.3.0")
    assert not pool.contains("10.244.3.1")
    assert not pool.contains("10.244.3.255")
    assert pool.contains("10.244.3.254")
    assert not pool.contains("10.244.4.2")
    assert not pool.contains("not an address")


def test_allocate_is_stable_per_owner():
    pool = IPPool("10.244.0.0/24")
    first = pool.allocate("pod-a")
    assert pool.allocate("pod-a") == first
    assert pool.get("pod-a") == first
    assert pool.get("pod-b") is None
    assert len(pool) == 1


def test_a_released_address_is_not_reused_at_once():
    pool = IPPool("10.244.0.0/24")
    a = pool.allocate("a")
    pool.release("a")
    assert pool.get("a") is None
    b = pool.allocate("b")
    assert b != a
    assert pool.allocate("a") not in (a, b)
    pool.release("nobody")  # releasing what is not held changes nothing
    assert len(pool) == 2


def test_exhaustion_and_wrap_around():
    pool = IPPool("10.244.0.0/29")  # .2 .. .6
    assert pool.size == 5
    got = [pool.allocate(f"p{i}") for i in range(5)]
    assert got == [f"10.244.0.{i}" for i in range(2, 7)]
    assert pool.allocate("p5") is None
    pool.release("p2")  # holds 10.244.0.4
    # Allocation went round past the end and finds the one free address.
    assert pool.allocate("p5") == "10.244.0.4"
    assert pool.allocate("p6") is None


def test_reserve_records_what_a_pod_already_holds():
    pool = IPPool("10.244.0.0/24")
    assert pool.reserve("a", "10.244.0.7")
    assert pool.get("a") == "10.244.0.7"
    assert pool.allocate("a") == "10.244.0.7"
    # Another owner cannot take it, nor can anyone reserve outside the pool.
    assert not pool.reserve("b", "10.244.0.7")
    assert not pool.reserve("b", "10.244.0.1")
    assert not pool.reserve("b", "10.9.9.9")
    assert pool.get("b") is None
    # Reserving a different address moves the owner there.
    assert pool.reserve("a", "10.244.0.8")
    assert pool.get("a") == "10.244.0.8"
    assert pool.reserve("b", "10.244.0.7")
    assert len(pool) == 2


def test_allocation_avoids_reserved_addresses():
    pool = IPPool("10.244.0.0/29")
    pool.reserve("old", "10.244.0.2")
    assert pool.allocate("new") == "10.244.0.3"


def test_tiny_ranges_have_no_pod_addresses():
    assert IPPool("10.244.0.0/31").size == 0
    assert IPPool("10.244.0.0/31").allocate("a") is None
    assert IPPool("10.244.0.0/30").size == 1
