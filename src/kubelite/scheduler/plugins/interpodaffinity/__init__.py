"""InterPodAffinity: required pod affinity and anti-affinity (Filter) and
preferred ones (Score); see filtering.py and scoring.py."""

from kubelite.scheduler.plugins.interpodaffinity.plugin import InterPodAffinity

__all__ = ["InterPodAffinity"]
