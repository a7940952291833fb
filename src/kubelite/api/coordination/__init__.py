"""coordination.k8s.io/v1: Leases, the objects components use for leader
election and nodes use for heartbeats."""
