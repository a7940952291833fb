"""apps/v1: the controllers that run pods for you — Deployments,
ReplicaSets, StatefulSets and DaemonSets — and the ControllerRevisions
they keep. One declaration module per kind; `workload` holds what they
share with each other, with batch/v1 and with core/v1's
ReplicationController."""
