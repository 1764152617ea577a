"""Metrics: the App's Prometheus registry (:mod:`.registry`), the sampler that feeds the
live graphs (:mod:`.sampler`), ``/metrics`` on loopback (:mod:`.server`) and graph
markers (:mod:`.markers`)."""

from levqor_desktop.core.metrics.registry import AGGREGATE, Metrics, Snapshot
from levqor_desktop.core.metrics.sampler import SERIES, History, Sampler
from levqor_desktop.core.metrics.server import MetricsServer

__all__ = ["AGGREGATE", "SERIES", "History", "Metrics", "MetricsServer", "Sampler", "Snapshot"]
