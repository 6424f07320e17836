"""Per-feature entity tags: a hash of the feature's representation, not of the layer.

The tag of ``/items/{id}`` is ``"<sha1 of the GeoJSON feature>-<crs>"``. It
changes when that feature changes and only then: editing one feature leaves
the tags of all others valid, so their ``If-Match`` edits still succeed. The
CRS is part of the tag because each CRS gives another representation (a
client's ``If-None-Match`` must not get a 304 for coordinates in another
CRS); ``If-Match`` recomputes the current tag in the CRS the client's tag
names. Tags are strong, as ``If-Match`` requires (RFC 9110 §13.1.1).
"""

from __future__ import annotations

import hashlib

from geoservice.catalog.models import LayerDef
from geoservice.crs import CRS84_URI, resolve_crs
from geoservice.encoding.geojson import encode_feature
from geoservice.errors import PreconditionFailed
from geoservice.storage.base import FeatureStore


def crs_token(crs_uri: str) -> str:
    """Return the short CRS name used in tags (``crs84`` or the EPSG code)."""
    return "crs84" if crs_uri == CRS84_URI else str(resolve_crs(crs_uri).epsg)


def make_etag(feature_json: bytes, crs_uri: str) -> str:
    """Return the strong tag of one encoded feature."""
    return f'"{hashlib.sha1(feature_json).hexdigest()[:24]}-{crs_token(crs_uri)}"'


def current_etag(
    store: FeatureStore, layer: LayerDef, fid: int, crs_uri: str, version: int | None = None
) -> str:
    """Return the tag of feature ``fid`` as stored now (or at ``version``)."""
    ref = resolve_crs(crs_uri)
    rows = store.get_feature(layer, fid, crs=ref.uri, version=version)
    return make_etag(encode_feature(rows, north_first=ref.north_first), ref.uri)


def check_if_match(
    store: FeatureStore, layer: LayerDef, fid: int, if_match: str | None, version: int
) -> None:
    """Refuse (412) an edit whose ``If-Match`` names no current state of the feature.

    Raises FeatureNotFound first when the feature does not exist (RFC 9110: the
    request would fail regardless of the precondition).
    """
    current = current_etag(store, layer, fid, CRS84_URI, version)
    if if_match is None or if_match.strip() == "*":
        return
    for tag in (t.strip() for t in if_match.split(",")):
        if tag.startswith("W/") or not tag.endswith('"'):
            continue  # weak tags never match for If-Match
        crs = tag.rstrip('"').rsplit("-", 1)[-1]
        uri = CRS84_URI if crs == "crs84" else f"EPSG:{crs}" if crs.isdigit() else None
        if uri is None:
            continue
        expected = current if uri == CRS84_URI else current_etag(store, layer, fid, uri, version)
        if tag == expected:
            return
    raise PreconditionFailed(
        f"feature {fid} of {layer.id!r} changed since you read it (If-Match {if_match} is not "
        f"its current tag {current}); GET it again, re-apply your change and retry"
    )
