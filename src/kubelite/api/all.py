"""Imports every declaration module, so that `schema.DEFINITIONS` and
`resource.REGISTRY` hold every definition and resource the API serves.
Add one line per new module."""

# ruff: noqa: F401
import kubelite.api.apiextensions.customresourcedefinitions
import kubelite.api.apps.controllerrevisions
import kubelite.api.apps.daemonsets
import kubelite.api.apps.deployments
import kubelite.api.apps.replicasets
import kubelite.api.apps.statefulsets
import kubelite.api.autoscaling.scale
import kubelite.api.batch.cronjobs
import kubelite.api.batch.jobs
import kubelite.api.coordination.leases
import kubelite.api.core.configmaps
import kubelite.api.core.endpoints
import kubelite.api.core.events
import kubelite.api.core.namespaces
import kubelite.api.core.nodes
import kubelite.api.core.pods
import kubelite.api.core.replicationcontrollers
import kubelite.api.core.secrets
import kubelite.api.core.serviceaccounts
import kubelite.api.core.services
import kubelite.api.discovery.endpointslices
import kubelite.api.events.events
import kubelite.api.meta
import kubelite.api.networking.ingressclasses
import kubelite.api.networking.ingresses
import kubelite.api.scheduling.priorityclasses
