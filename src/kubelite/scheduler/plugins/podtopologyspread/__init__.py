"""PodTopologySpread: spread matching pods across topology domains, hard
(DoNotSchedule: Filter) and soft (ScheduleAnyway: Score), with the system
default constraints for pods that belong to a Service or controller."""

from kubelite.scheduler.plugins.podtopologyspread.plugin import PodTopologySpread

__all__ = ["PodTopologySpread"]
