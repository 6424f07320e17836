"""Which representation of features a client gets: ``f=`` first, then ``Accept``.

``Accept`` is read as RFC 9110 says: media ranges with ``q`` weights, the most
specific range deciding a type's weight, ``q=0`` refusing it. A client that
accepts nothing geoservice offers gets a 406 listing what is offered, rather
than GeoJSON it did not ask for.
"""

from __future__ import annotations

from geoservice.errors import NotAcceptable

# Offered media types, in the order preferred when a client weighs them alike.
OFFERED = {
    "application/geo+json": "json",
    "application/json": "json",
    "text/html": "html",
    "application/geopackage+sqlite3": "gpkg",
    "application/flatgeobuf": "fgb",
}
MAX_ACCEPT = 4_000


def negotiate_features(accept: str | None) -> str:
    """Return ``json``, ``html``, ``gpkg`` or ``fgb`` for an ``Accept`` header."""
    if not accept or not accept.strip():
        return "json"
    ranges = _media_ranges(accept[:MAX_ACCEPT])
    best, best_q = None, 0.0
    for media_type, fmt in OFFERED.items():
        q = _weight(media_type, ranges)
        if q > best_q:
            best, best_q = fmt, q
    if best is None:
        raise NotAcceptable(
            f"none of the media types in Accept: {accept[:200]!r} can be served; offered: "
            f"{', '.join(OFFERED)} (or give f=json|html|gpkg|fgb)"
        )
    return best


def _media_ranges(accept: str) -> list[tuple[str, float]]:
    out = []
    for part in accept.split(",")[:64]:
        pieces = [p.strip() for p in part.split(";")]
        media = pieces[0].lower()
        if "/" not in media:
            continue
        q = 1.0
        for param in pieces[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    q = 0.0
        out.append((media, q))
    return out


def _weight(media_type: str, ranges: list[tuple[str, float]]) -> float:
    """Return the q of the most specific range matching ``media_type`` (0 if none)."""
    kind = media_type.split("/")[0]
    for candidate in (media_type, f"{kind}/*", "*/*"):
        matching = [q for media, q in ranges if media == candidate]
        if matching:
            return max(matching)
    return 0.0
