"""Domain errors. Raised anywhere in the package; mapped to HTTP in ``api/errors.py``.

Each error carries a message written for the person who must act on it (a GIS
technician or the author of a client), and optional structured ``details``.
"""

from __future__ import annotations

from typing import Any


class GeoserviceError(Exception):
    """Base of every error geoservice raises on purpose."""

    code = "GeoserviceError"

    def __init__(self, message: str, *, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class NotFoundError(GeoserviceError):
    """Something addressed by id does not exist."""


class LayerNotFound(NotFoundError):
    """No layer (collection) with this id."""

    code = "LayerNotFound"


class AreaNotFound(NotFoundError):
    """No study area with this id."""

    code = "AreaNotFound"


class FeatureNotFound(NotFoundError):
    """No feature with this id in the layer."""

    code = "FeatureNotFound"


class VersionNotFound(NotFoundError):
    """No such version of a layer."""

    code = "VersionNotFound"


class TileNotFound(NotFoundError):
    """A tile outside its tile matrix set, or outside a tileset's limits."""

    code = "TileNotFound"


class InvalidParameter(GeoserviceError):
    """A query parameter or request option is malformed or out of range."""

    code = "InvalidParameter"


class UnsupportedCRS(InvalidParameter):
    """A CRS the service does not offer for this operation."""

    code = "UnsupportedCRS"


class InvalidFilter(InvalidParameter):
    """A CQL2 filter that does not parse or refers to unknown properties."""

    code = "InvalidFilter"


class UnsupportedMediaType(InvalidParameter):
    """A request body in a media type the operation does not accept."""

    code = "UnsupportedMediaType"


class NotAcceptable(GeoserviceError):
    """None of the media types the client accepts can be served (HTTP 406)."""

    code = "NotAcceptable"


class CatalogError(GeoserviceError):
    """A layer or style file is invalid, or refers to something missing."""

    code = "CatalogError"


class ConflictError(GeoserviceError):
    """The request conflicts with the current state (e.g. a layer that exists)."""

    code = "Conflict"


class PreconditionFailed(GeoserviceError):
    """An If-Match ETag does not match: someone else changed the resource."""

    code = "PreconditionFailed"


class PreconditionRequired(GeoserviceError):
    """A write came without If-Match where the deployment requires it (HTTP 428)."""

    code = "PreconditionRequired"


class InvalidUpload(GeoserviceError):
    """An uploaded file was refused; nothing stored changed."""

    code = "InvalidUpload"


class UploadTooLarge(InvalidUpload):
    """An upload exceeds a configured size, feature or coordinate limit."""

    code = "UploadTooLarge"


class Unauthorized(GeoserviceError):
    """Missing or unknown API key."""

    code = "Unauthorized"


class Forbidden(GeoserviceError):
    """The API key is valid but lacks the role this action needs."""

    code = "Forbidden"


class StoreUnavailable(GeoserviceError):
    """The configured store cannot be reached or read right now; nothing was changed.

    ``retry_after_s`` says when asking again makes sense (the HTTP answer is a 503
    with ``Retry-After``): a database that went away is tried again in the
    background every few seconds, a locked GeoPackage frees up once a write ends.
    """

    code = "StoreUnavailable"

    def __init__(
        self, message: str, *, details: Any = None, retry_after_s: float | None = None
    ) -> None:
        super().__init__(message, details=details)
        self.retry_after_s = retry_after_s


class InsufficientStorage(GeoserviceError):
    """The server's disk (or the database's) filled up while handling the request.

    Nothing was stored; the same request can succeed once space is freed.
    """

    code = "InsufficientStorage"


# --- analysis (geoservice.analysis) -----------------------------------------


class CRSMismatchError(InvalidParameter):
    """Two inputs of one operation are in different coordinate reference systems."""

    code = "CRSMismatch"


class MissingCRSError(InvalidParameter):
    """A layer has no coordinate reference system, so it cannot be measured."""

    code = "MissingCRS"


class GeographicCRSError(UnsupportedCRS):
    """Distances or areas were asked for in a geographic (degree-based) CRS."""

    code = "GeographicCRS"


class MissingDataError(InvalidParameter):
    """An input lacks a column an analysis needs, or has gaps in it."""

    code = "MissingData"


class AnalysisError(GeoserviceError):
    """An analysis could not produce a result (e.g. the solver found no solution)."""

    code = "AnalysisError"


class MapAssetsMissing(GeoserviceError):
    """Leaflet and its plugins are not vendored (``make web`` has not run)."""

    code = "MapAssetsMissing"


def error_class(code: str) -> type[GeoserviceError] | None:
    """Return the most general error class whose ``code`` is ``code`` (None if unknown)."""
    pending: list[type[GeoserviceError]] = [GeoserviceError]
    while pending:
        cls = pending.pop(0)
        if cls.code == code:
            return cls
        pending.extend(cls.__subclasses__())
    return None
