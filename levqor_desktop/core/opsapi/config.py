"""How the ops API is served: which paths need no key, and the per-key rate limit."""

from __future__ import annotations

from dataclasses import dataclass, field

LOOPBACK = "127.0.0.1"
DEFAULT_PORT = 8765
#: Paths answered without an API key unless configured otherwise: what a load balancer
#: and Prometheus call.
DEFAULT_OPEN_PATHS = frozenset({"/metrics", "/ops/health"})


@dataclass(frozen=True)
class OpsApiConfig:
    #: Paths that need no API key (a key, when given, is still checked).
    open_paths: frozenset[str] = field(default=DEFAULT_OPEN_PATHS)
    #: Sustained requests per second per key (or per client address without a key)...
    rate_per_second: float = 10.0
    #: ...and the burst a bucket holds.
    burst: int = 30
    #: A key checked against the database this recently is answered from memory, so a
    #: revoke or demotion made elsewhere takes effect within this many seconds (0: every
    #: request asks the database).
    key_cache_seconds: float = 2.0
    #: ``/metrics`` renders the registry at most this often; scrapes in between get
    #: the last rendering (0: every scrape renders).
    metrics_cache_seconds: float = 0.5

    def is_open(self, path: str) -> bool:
        return path in self.open_paths


def is_loopback(host: str) -> bool:
    """True for addresses only this machine can reach."""
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
