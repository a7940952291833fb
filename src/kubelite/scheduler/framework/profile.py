"""A scheduling profile: the plugins (in order) and the weight of each
score plugin, as a KubeSchedulerProfile configures them with MultiPoint.

Each plugin takes part in every extension point it implements, in the
order given; a score plugin without a weight weighs 1.
`percentage_of_nodes_to_score` None (or 0) is the adaptive default
(see schedule_one.num_feasible_nodes_to_find).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property

from kubelite.scheduler.framework.interface import (
    BindPlugin,
    FilterPlugin,
    NormalizeScorePlugin,
    PermitPlugin,
    Plugin,
    PostFilterPlugin,
    PreFilterExtensions,
    PreFilterPlugin,
    PreScorePlugin,
    ReservePlugin,
    ScorePlugin,
)

DEFAULT_SCHEDULER_NAME = "default-scheduler"


@dataclass(frozen=True)
class Profile:
    plugins: tuple[Plugin, ...]
    weights: Mapping[str, int] = field(default_factory=dict)
    percentage_of_nodes_to_score: int | None = None
    scheduler_name: str = DEFAULT_SCHEDULER_NAME

    @classmethod
    def of(
        cls,
        plugins: Iterable[Plugin | tuple[Plugin, int]],
        *,
        percentage_of_nodes_to_score: int | None = None,
        scheduler_name: str = DEFAULT_SCHEDULER_NAME,
    ) -> Profile:
        """From plugins, each alone or as (plugin, weight)."""
        found, weights = [], {}
        for entry in plugins:
            plugin, weight = entry if isinstance(entry, tuple) else (entry, 1)
            found.append(plugin)
            weights[plugin.name] = weight or 1
        return cls(tuple(found), weights, percentage_of_nodes_to_score, scheduler_name)

    def _implementing(self, kind: type) -> list:
        return [p for p in self.plugins if isinstance(p, kind)]

    @cached_property
    def pre_filter_plugins(self) -> list[PreFilterPlugin]:
        return self._implementing(PreFilterPlugin)

    @cached_property
    def pre_filter_extensions(self) -> list[PreFilterExtensions]:
        return [p for p in self.pre_filter_plugins if isinstance(p, PreFilterExtensions)]

    @cached_property
    def filter_plugins(self) -> list[FilterPlugin]:
        return self._implementing(FilterPlugin)

    @cached_property
    def post_filter_plugins(self) -> list[PostFilterPlugin]:
        return self._implementing(PostFilterPlugin)

    @cached_property
    def pre_score_plugins(self) -> list[PreScorePlugin]:
        return self._implementing(PreScorePlugin)

    @cached_property
    def score_plugins(self) -> list[ScorePlugin]:
        return self._implementing(ScorePlugin)

    @cached_property
    def reserve_plugins(self) -> list[ReservePlugin]:
        return self._implementing(ReservePlugin)

    @cached_property
    def permit_plugins(self) -> list[PermitPlugin]:
        return self._implementing(PermitPlugin)

    @cached_property
    def bind_plugins(self) -> list[BindPlugin]:
        return self._implementing(BindPlugin)

    def weight(self, plugin: Plugin) -> int:
        return self.weights.get(plugin.name, 1)

    @staticmethod
    def normalizes(plugin: Plugin) -> bool:
        return isinstance(plugin, NormalizeScorePlugin)

    @cached_property
    def score_plan(self) -> list[tuple[ScorePlugin, int, bool]]:
        """Each score plugin with its weight and whether it normalizes."""
        return [(p, self.weight(p), self.normalizes(p)) for p in self.score_plugins]
