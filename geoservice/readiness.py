"""Whether the service can answer requests now, part by part (``/readyz``).

``/healthz`` only says the process is alive (it never does I/O, so a busy
server still answers it). Readiness asks each part a request may need: the
feature store (a PostGIS round trip, or a read of the GeoPackage on a fresh
connection), the key file and the job file. A part that is down makes the
service not ready, and the report names it with the reason, so a load balancer
stops sending traffic and an operator knows where to look. Version
notifications (PostGIS ``LISTEN``) are reported too but are not required: tiles
stay correct without them, asking the store instead.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from geoservice.errors import StoreUnavailable
from geoservice.storage.outage import first_line

if TYPE_CHECKING:
    from geoservice.runtime import Runtime

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Readiness:
    """The state of every part; ``ready`` when every required part is up."""

    parts: dict[str, dict[str, Any]]
    retry_after_s: float | None = None
    down: list[str] = field(default_factory=list)

    @property
    def ready(self) -> bool:
        """Tell whether every required part answers."""
        return not self.down

    def as_dict(self) -> dict[str, Any]:
        """Return the JSON body of ``/readyz``."""
        status = "ready" if self.ready else "unavailable"
        return {"status": status, "down": self.down, "parts": self.parts}


def check_readiness(runtime: Runtime) -> Readiness:
    """Ask each part of ``runtime`` whether it answers now."""
    parts: dict[str, dict[str, Any]] = {}
    retry: list[float] = []
    checks: dict[str, Callable[[], dict | None]] = {
        "store": lambda: _store_health(runtime.store),
        "keys": runtime.keys.ping,
        "jobs": runtime.jobs.jobs.ping,
    }
    for name, check in checks.items():
        parts[name] = _ask(name, check, retry)
    if runtime.tiles is not None and runtime.tiles.vector.versions.listener is not None:
        alive = runtime.tiles.vector.versions.pushed
        parts["version_notifications"] = {
            "status": "up" if alive else "down",
            "required": False,
        }
    down = [name for name, part in parts.items() if part["status"] == "down" and part["required"]]
    return Readiness(parts, max(retry) if retry and down else None, down)


def _store_health(store) -> dict | None:
    check = getattr(store, "check_health", None)
    return {"kind": store.kind, **(check() or {})} if check else {"kind": store.kind}


def _ask(name: str, check: Callable[[], dict | None], retry: list[float]) -> dict[str, Any]:
    try:
        detail = check() or {}
    except StoreUnavailable as exc:
        if exc.retry_after_s is not None:
            retry.append(exc.retry_after_s)
        reason = (exc.details or {}).get("reason", exc.message)
        return {"status": "down", "required": True, "reason": first_line(Exception(reason))}
    except Exception as exc:  # sqlite3/OS errors, or a driver's: a probe never fails
        log.warning("readiness: %s is down: %s", name, exc)
        return {"status": "down", "required": True, "reason": first_line(exc)}
    return {"status": "up", "required": True, **detail}
