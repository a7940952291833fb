"""ServiceAccounts (core/v1): identities for processes in pods. Schema and
the columns of `kubectl get serviceaccounts`; names are DNS subdomains like
most kinds, and nothing else needs checking."""

from __future__ import annotations

from kubelite.api.core.common import CORE, refs
from kubelite.api.meta import AGE_COLUMN, NAME_COLUMN, top_level
from kubelite.api.resource import Column, Resource, register
from kubelite.api.schema import boolean, define

SERVICE_ACCOUNT = CORE + "ServiceAccount"

define(SERVICE_ACCOUNT, top_level(
    "An identity pods run as when they talk to the API.",
    {
        "secrets": refs("ObjectReference", "Secrets pods of this account may use "
                                           "(legacy token secrets).",
                        merge_key="name", strategy="merge", list_type="map",
                        map_keys=("name",)),
        "imagePullSecrets": refs("LocalObjectReference", "Registry credentials added to "
                                                         "pods of this account."),
        "automountServiceAccountToken": boolean("Whether pods get the account's token "
                                                "mounted by default."),
    },
), gvk=("", "v1", "ServiceAccount"))

SERVICE_ACCOUNTS = register(Resource(
    group="",
    version="v1",
    kind="ServiceAccount",
    plural="serviceaccounts",
    return_deleted_object=True,
    namespaced=True,
    schema=SERVICE_ACCOUNT,
    short_names=("sa",),
    columns=(
        NAME_COLUMN,
        Column("Secrets", lambda sa: len(sa.get("secrets") or []), type="integer",
               description="Number of secrets."),
        AGE_COLUMN,
    ),
))
