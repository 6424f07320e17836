"""Content-Security-Policy of each kind of response (pure: no FastAPI, no I/O).

Escaping is the first defence against a layer title or attribute that carries
markup (every page escapes what it shows); a CSP is the second: should a
string ever slip through unescaped, the browser still refuses to run script
the service did not put there itself. Each kind of page gets the narrowest
policy it works with:

* **API answers** (JSON, GeoJSON, tiles, files): nothing in them may load or
  run anything (``default-src 'none'``).
* **Scripts** served from ``/static``: a module worker (MapLibre's) runs under
  its own script's policy, so scripts get the policy of the pages using them.
* **Plain pages** (Jinja templates): scripts and styles only from this service,
  never inline.
* **Leaflet maps** (Folium): Folium writes the whole map as one inline script,
  so inline scripts run only with the response's nonce (each page build marks
  the scripts *it* writes; a script arriving in the data carries no nonce).
  Styles may be inline: legend swatches, plugin controls and the colour bar
  carry ``style`` attributes written with ``innerHTML``; a style cannot run
  script, and with ``img-src``/``connect-src`` limited to this service (and
  the base map's tile host) it cannot send anything elsewhere. VectorGrid
  tiles embedded layers in a worker made from a ``blob:`` URL.
* **The MapLibre page**: its script is a file of this service; MapLibre draws
  icons from ``data:``/``blob:`` images and runs a module worker from
  ``/static``.
* **Exports** (``geoservice map --out``): the same as a Leaflet map, as a
  ``<meta>`` policy (a file has no headers and no origin, so no ``'self'``).

``frame-ancestors`` (``api.frame_ancestors``: the portals allowed to embed the
pages) is added to every header policy by :mod:`geoservice.api.security`.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

SELF = "'self'"
NONE = "'none'"
LOCKED = ("object-src 'none'", "base-uri 'none'")
"""No plugins, and no ``<base>`` that would re-point relative script URLs."""
_NETLOC = re.compile(r"^[A-Za-z0-9.\-\[\]:]+$")
_HOST = re.compile(r"^(\*\.)?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+(:[0-9]{1,5})?$")


def origin_of(url: str | None) -> str | None:
    """Return ``scheme://host[:port]`` of an http(s) URL, or None."""
    if not url:
        return None
    parts = urlsplit(url)
    host = parts.netloc.rsplit("@", 1)[-1]
    if parts.scheme not in ("http", "https") or not _NETLOC.match(host):
        return None
    return f"{parts.scheme}://{host}"


def tile_host_source(template: str) -> str | None:
    """Return the CSP source of an XYZ template's host (a templated label becomes ``*``).

    ``https://webrd0{s}.is.autonavi.com/...`` gives ``https://*.is.autonavi.com``;
    anything that is not a plain http(s) host gives None.
    """
    parts = urlsplit(template)
    if parts.scheme not in ("http", "https"):
        return None
    labels = parts.netloc.rsplit("@", 1)[-1].split(".")
    templated = [i for i, label in enumerate(labels) if "{" in label or "}" in label]
    if templated:
        labels = ["*", *labels[templated[-1] + 1 :]]
    host = ".".join(labels)
    if len(labels) < 2 or not _HOST.match(host):
        return None
    return f"{parts.scheme}://{host}"


def nonce_source(nonce: str) -> str:
    """Return the CSP source allowing inline scripts that carry ``nonce``."""
    return f"'nonce-{nonce}'"


def hash_source(script: str) -> str:
    """Return the CSP source allowing one exact inline script."""
    digest = hashlib.sha256(script.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


def join(directives: Iterable[str]) -> str:
    """Return a policy from its directives."""
    return "; ".join(directives)


@dataclass(frozen=True)
class Policies:
    """The policies of one deployment: its public origin and its base map's tile host."""

    own: tuple[str, ...] = (SELF,)
    """This service: the page's origin, plus the configured public URL's if set."""
    tiles: tuple[str, ...] = ()
    """Where base-map images come from (an XYZ template's host)."""

    @classmethod
    def of(cls, *, base_url: str | None = None, basemap: str | None = None) -> Policies:
        """Return the policies of a service at ``base_url`` showing ``basemap``."""
        own = [SELF]
        base = origin_of(base_url)
        if base is not None:
            own.append(base)
        tiles = tile_host_source(basemap) if basemap else None
        return cls(tuple(own), (tiles,) if tiles else ())

    def _own(self, *extra: str) -> str:
        return " ".join((*self.own, *extra))

    def api(self) -> str:
        """Return the policy of an API answer: it may load and run nothing."""
        return join(("default-src 'none'", *LOCKED, "form-action 'none'"))

    def script_file(self) -> str:
        """Return the policy of a served script (a worker runs under it)."""
        return join(
            (f"default-src {self._own()}", f"img-src {self._own('data:', 'blob:')}", *LOCKED)
        )

    def page(self) -> str:
        """Return the policy of a plain page: nothing inline, everything from here."""
        return join(
            (
                f"default-src {self._own()}",
                f"img-src {self._own('data:')}",
                *LOCKED,
                f"form-action {self._own()}",
            )
        )

    def leaflet(self, nonce: str) -> str:
        """Return the policy of a served Leaflet map whose scripts carry ``nonce``."""
        return join(
            (
                f"default-src {self._own()}",
                f"script-src {self._own(nonce_source(nonce))}",
                f"style-src {self._own(SAFE_INLINE_STYLE)}",
                f"img-src {self._own('data:', 'blob:', *self.tiles)}",
                f"font-src {self._own('data:')}",
                f"worker-src {self._own('blob:')}",
                *LOCKED,
                "form-action 'none'",
            )
        )

    def maplibre(self) -> str:
        """Return the policy of the MapLibre page (its script is a file of this service)."""
        return join(
            (
                f"default-src {self._own()}",
                f"img-src {self._own('data:', 'blob:')}",
                f"worker-src {self._own('blob:')}",
                *LOCKED,
                "form-action 'none'",
            )
        )

    def docs(
        self,
        scripts: Sequence[str],
        *,
        script_origins: Sequence[str] = (),
        style_origins: Sequence[str] = (),
    ) -> str:
        """Return the policy of the API docs page: its own inline scripts, its CDN."""
        hashes = [hash_source(s) for s in scripts]
        return join(
            (
                f"default-src {self._own()}",
                f"script-src {self._own(*script_origins, *hashes)}",
                f"style-src {self._own(*style_origins, SAFE_INLINE_STYLE)}",
                f"img-src {self._own('data:', 'https:')}",
                *LOCKED,
                "form-action 'none'",
            )
        )

    def export(self, nonce: str) -> str:
        """Return the ``<meta>`` policy of a standalone map file (no origin, no server)."""
        return join(
            (
                "default-src 'none'",
                f"script-src {nonce_source(nonce)}",
                f"style-src {SAFE_INLINE_STYLE}",
                " ".join(("img-src data: blob:", *self.tiles)),
                "font-src data:",
                "worker-src blob:",
                *LOCKED,
                "form-action 'none'",
            )
        )


SAFE_INLINE_STYLE = "'unsafe-inline'"
"""Inline styles: allowed on map pages (see the module docstring for why)."""


def frame_ancestors(sources: Sequence[str]) -> str:
    """Return the ``frame-ancestors`` directive of an allow-list."""
    return f"frame-ancestors {' '.join(sources)}"
