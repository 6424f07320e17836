"""API keys, managed by admins: list, create, revoke."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from geoservice.api.auth import AdminDep
from geoservice.api.responses import JSONBytesResponse

router = APIRouter(tags=["Keys"])


class KeyRequest(BaseModel):
    """A key to create."""

    role: str = Field("editor", description="reader, warden, editor or admin")
    name: str = Field(..., description="whose key it is; recorded as the author of versions")
    layers: list[str] = Field([], description="editor keys: only these layers (all if empty)")
    cells: list[str] = Field(
        [], description="warden keys: the farmland grid cells (or level-2 units) they record in"
    )


@router.get("/keys", operation_id="getKeys", summary="API keys")
def list_keys(request: Request, principal: AdminDep):
    """List the keys (never their secrets)."""
    return JSONBytesResponse({"keys": [k.as_dict() for k in request.app.state.runtime.keys.list()]})


@router.post("/keys", operation_id="createKey", summary="Create an API key", status_code=201)
def create_key(request: Request, principal: AdminDep, body: KeyRequest):
    """Create a key; the response is the only place its secret is ever shown."""
    key, secret = request.app.state.runtime.keys.create(
        body.role, body.name, tuple(body.layers), tuple(body.cells)
    )
    return JSONBytesResponse({**key.as_dict(), "key": secret}, status_code=201)


@router.delete("/keys/{keyId}", operation_id="revokeKey", summary="Revoke an API key")
def revoke_key(
    request: Request, principal: AdminDep, keyId: Annotated[str, Path(description="key id")]
):
    """Revoke a key at once."""
    request.app.state.runtime.keys.revoke(keyId)
    return Response(status_code=204)
