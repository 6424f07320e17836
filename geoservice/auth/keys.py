"""API keys, stored hashed in a small SQLite file.

A key reads ``gsk_<id>_<secret>``: the id finds the row, the secret is checked
against its SHA-256 in constant time. The secret is 256 random bits, so a fast
hash is enough (a slow password hash protects guessable passwords, not random
tokens), and the plain key exists only in the output of ``keys create``.

Roles are ordered: ``reader`` (read when reading needs a key), ``warden``
(record farmland patrols and incidents, only in the grid cells the key lists),
``editor`` (upload and edit, optionally only some layers), ``admin`` (create and
delete layers, manage keys). Each role may do what the roles below it may.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from geoservice.errors import InvalidParameter, NotFoundError
from geoservice.sqlite_file import SQLiteFile

ROLES = ("reader", "warden", "editor", "admin")
PREFIX = "gsk"
SCHEMA = (
    "CREATE TABLE IF NOT EXISTS api_keys (id TEXT PRIMARY KEY, name TEXT NOT NULL, "
    "role TEXT NOT NULL, layers TEXT NOT NULL DEFAULT '[]', secret_sha256 TEXT NOT NULL, "
    "created_at TEXT NOT NULL, revoked_at TEXT, cells TEXT NOT NULL DEFAULT '[]')"
)
COLUMNS = "id, name, role, layers, created_at, revoked_at, cells"


@dataclass(frozen=True)
class Principal:
    """Who a valid key belongs to."""

    key_id: str
    name: str
    role: str
    layers: tuple[str, ...] = ()
    created_at: str = ""
    revoked: bool = False
    cells: tuple[str, ...] = ()

    def has_role(self, role: str) -> bool:
        """Tell whether this key's role includes ``role``."""
        return ROLES.index(self.role) >= ROLES.index(role)

    def may_edit(self, layer_id: str) -> bool:
        """Tell whether an editor key covers ``layer_id`` (admins cover every layer)."""
        return self.role == "admin" or not self.layers or layer_id in self.layers

    def covers_cell(self, cell_code: str) -> bool:
        """Tell whether this key may record farmland patrols and incidents in a cell.

        A warden key lists cell codes or level-2 codes; cell codes read
        ``<level-2 code>-<row>-<col>``, so a level-2 code covers exactly the codes it
        prefixes with a ``-``. Editors and admins record anywhere; readers nowhere.
        """
        if self.role == "warden":
            return any(cell_code == c or cell_code.startswith(f"{c}-") for c in self.cells)
        return self.has_role("editor")

    @property
    def label(self) -> str:
        """Return what version records show as the author."""
        return self.name

    def as_dict(self) -> dict:
        """Return the JSON form (never the secret)."""
        return {
            "id": self.key_id,
            "name": self.name,
            "role": self.role,
            "layers": list(self.layers),
            "created_at": self.created_at,
            "revoked": self.revoked,
            "cells": list(self.cells),
        }


class KeyStore(SQLiteFile):
    """Create, check, list and revoke API keys in one SQLite file."""

    schema = SCHEMA

    def _db(self):
        fresh = self._conn is None
        conn = super()._db()
        if fresh:  # a key file written before warden keys existed lacks their column
            columns = {row[1] for row in conn.execute("PRAGMA table_info(api_keys)")}
            if "cells" not in columns:
                conn.execute("ALTER TABLE api_keys ADD COLUMN cells TEXT NOT NULL DEFAULT '[]'")
                conn.commit()
        return conn

    def create(
        self, role: str, name: str, layers: tuple[str, ...] = (), cells: tuple[str, ...] = ()
    ) -> tuple[Principal, str]:
        """Create a key; return its principal and the plain key (shown once).

        A ``warden`` key needs ``cells`` (the grid cells, or level-2 units, it records
        in); no other role takes them.
        """
        if role not in ROLES:
            raise InvalidParameter(f"role {role!r}: use one of {', '.join(ROLES)}")
        if role == "warden" and not cells:
            raise InvalidParameter("a warden key needs cells: the grid codes it records in")
        if role != "warden" and cells:
            raise InvalidParameter(f"cells: only warden keys are limited to cells, not {role!r}")
        key_id, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
        now = datetime.now(UTC).isoformat(timespec="seconds")
        with self._lock, self._db() as db:
            db.execute(
                "INSERT INTO api_keys (id, name, role, layers, secret_sha256, created_at, cells) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    key_id,
                    name,
                    role,
                    json.dumps(list(layers)),
                    _digest(secret),
                    now,
                    json.dumps(list(cells), ensure_ascii=False),
                ),
            )
        principal = Principal(key_id, name, role, tuple(layers), now, cells=tuple(cells))
        return principal, f"{PREFIX}_{key_id}_{secret}"

    def verify(self, key: str) -> Principal | None:
        """Return the principal of a valid, unrevoked key, else None."""
        parts = key.strip().split("_", 2)
        if len(parts) != 3 or parts[0] != PREFIX:
            return None
        with self._lock:
            row = (
                self._db()
                .execute(
                    f"SELECT {COLUMNS}, secret_sha256 FROM api_keys WHERE id = ?",
                    (parts[1],),
                )
                .fetchone()
            )
        if row is None or row[5] is not None:
            return None
        if not hmac.compare_digest(row[7], _digest(parts[2])):
            return None
        return _principal(row)

    def list(self) -> list[Principal]:
        """Return every key, newest first (revoked ones too)."""
        with self._lock:
            rows = (
                self._db()
                .execute(f"SELECT {COLUMNS} FROM api_keys ORDER BY created_at DESC, id")
                .fetchall()
            )
        return [_principal(r) for r in rows]

    def revoke(self, key_id: str) -> None:
        """Revoke a key at once (every worker reads the same file)."""
        now = datetime.now(UTC).isoformat(timespec="seconds")
        with self._lock, self._db() as db:
            cursor = db.execute(
                "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                (now, key_id),
            )
        if cursor.rowcount == 0:
            raise NotFoundError(f"no active API key with id {key_id!r}")


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _principal(row) -> Principal:
    key_id, name, role, layers, created, revoked, cells = row[:7]
    return Principal(
        key_id,
        name,
        role,
        tuple(json.loads(layers)),
        created,
        revoked is not None,
        tuple(json.loads(cells)),
    )
