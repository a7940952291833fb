"""The core ("legacy", group "") v1 API: one declaration module per kind
(pods, services, nodes, ...), plus the schema modules the kinds share
(`common`, `container`, `volume`, `podspec`, `podstatus`) and the pod spec
defaulting and validation that workload kinds in other groups reuse.
"""
