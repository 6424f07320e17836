"""Job records in one SQLite file, so a restarted service (or another worker) sees them.

A job moves ``accepted → running → successful | failed``; ``dismissed`` marks a
job a client cancelled (a running job notices at its next progress report). State
changes are conditional updates, so two workers never both start a job and a
dismissed job is never marked successful.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from geoservice.errors import NotFoundError
from geoservice.sqlite_file import SQLiteFile

ACTIVE = ("accepted", "running")
NO_SUCH_JOB = {"type": "http://www.opengis.net/def/exceptions/ogcapi-processes-1/1.0/no-such-job"}
SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
  job_id TEXT PRIMARY KEY, process_id TEXT NOT NULL, status TEXT NOT NULL,
  message TEXT NOT NULL DEFAULT '', progress INTEGER NOT NULL DEFAULT 0,
  created TEXT NOT NULL, started TEXT, finished TEXT, updated TEXT NOT NULL,
  inputs TEXT NOT NULL, results TEXT, error TEXT, written TEXT NOT NULL DEFAULT '[]',
  owner TEXT NOT NULL, author TEXT NOT NULL DEFAULT '', owner_key TEXT NOT NULL DEFAULT ''
)"""
COLUMNS = (
    "job_id, process_id, status, message, progress, created, started, finished, updated, "
    "inputs, results, error, written, owner, author, owner_key"
)
CLI_OWNER = "cli"
"""``owner_key`` of jobs run from the command line (listed to admins only)."""


class JobNotFound(NotFoundError):
    """No job with this id (or it was dismissed)."""

    code = "NoSuchJob"


def now() -> str:
    """Return the current UTC time as RFC 3339."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class JobRecord:
    """One job as stored."""

    job_id: str
    process_id: str
    status: str
    message: str = ""
    progress: int = 0
    created: str = field(default_factory=now)
    started: str | None = None
    finished: str | None = None
    updated: str = field(default_factory=now)
    inputs: dict[str, Any] = field(default_factory=dict)
    results: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    written: list[dict[str, Any]] = field(default_factory=list)
    owner: str = ""
    author: str = ""
    owner_key: str = ""
    """Id of the API key that started the job ('' anonymous, 'cli' the command line)."""

    @classmethod
    def from_row(cls, row: tuple) -> JobRecord:
        """Build a record from a ``SELECT COLUMNS`` row."""
        values = list(row)
        for i in (9, 10, 11, 12):
            values[i] = json.loads(values[i]) if values[i] is not None else None
        return cls(*values)


class JobStore(SQLiteFile):
    """Create, update, list and delete job records."""

    schema = SCHEMA

    def _db(self):
        conn = super()._db()
        columns = {row[1] for row in conn.execute("PRAGMA table_info(jobs)")}
        if "owner_key" not in columns:  # a job file written before jobs had owners
            conn.execute("ALTER TABLE jobs ADD COLUMN owner_key TEXT NOT NULL DEFAULT ''")
            conn.commit()
        return conn

    def _write(self, sql: str, params: tuple) -> int:
        with self._lock, self._db() as db:
            return db.execute(sql, params).rowcount

    def _read(self, sql: str, params: tuple = ()) -> list[tuple]:
        with self._lock:
            return self._db().execute(sql, params).fetchall()

    def create(self, record: JobRecord) -> JobRecord:
        """Store a new record."""
        self._write(
            f"INSERT INTO jobs ({COLUMNS}) VALUES ({', '.join('?' * 16)})",
            (
                record.job_id, record.process_id, record.status, record.message,
                record.progress, record.created, record.started, record.finished,
                record.updated, json.dumps(record.inputs, ensure_ascii=False), None, None,
                "[]", record.owner, record.author, record.owner_key,
            ),
        )  # fmt: skip
        return record

    def get(self, job_id: str) -> JobRecord:
        """Return a job (dismissed ones are gone: :class:`JobNotFound`)."""
        rows = self._read(
            f"SELECT {COLUMNS} FROM jobs WHERE job_id = ? AND status != 'dismissed'", (job_id,)
        )
        if not rows:
            raise JobNotFound(f"job {job_id!r} not found; see /jobs", details=NO_SUCH_JOB)
        return JobRecord.from_row(rows[0])

    def list(
        self,
        *,
        limit: int = 100,
        offset: int = 0,
        process_id: str | None = None,
        status: str | None = None,
        owner_key: str | None = None,
    ) -> list[JobRecord]:
        """Return jobs, newest first (of one key's with ``owner_key``)."""
        where, params = ["status != 'dismissed'"], []
        if owner_key is not None:
            where.append("owner_key = ?")
            params.append(owner_key)
        if process_id:
            where.append("process_id = ?")
            params.append(process_id)
        if status:
            where.append("status = ?")
            params.append(status)
        rows = self._read(
            f"SELECT {COLUMNS} FROM jobs WHERE {' AND '.join(where)} "
            "ORDER BY created DESC, job_id LIMIT ? OFFSET ?",
            (*params, limit, offset),
        )
        return [JobRecord.from_row(r) for r in rows]

    def start(self, job_id: str) -> bool:
        """Move an accepted job to running; False if it was dismissed meanwhile."""
        t = now()
        return bool(self._write(
            "UPDATE jobs SET status='running', started=?, updated=?, message='started' "
            "WHERE job_id=? AND status='accepted'",
            (t, t, job_id),
        ))  # fmt: skip

    def progress(self, job_id: str, percent: int, message: str) -> bool:
        """Record progress of a running job; False if it is no longer running."""
        return bool(self._write(
            "UPDATE jobs SET progress=?, message=?, updated=? WHERE job_id=? AND status='running'",
            (percent, message, now(), job_id),
        ))  # fmt: skip

    def add_written(self, job_id: str, written: list[dict[str, Any]]) -> None:
        """Record the collections and rasters a job has written so far."""
        self._write("UPDATE jobs SET written=? WHERE job_id=?", (json.dumps(written), job_id))

    def finish(self, job_id: str, results: dict[str, Any], message: str = "done") -> bool:
        """Mark a running job successful with its results document."""
        t = now()
        return bool(self._write(
            "UPDATE jobs SET status='successful', progress=100, message=?, results=?, "
            "finished=?, updated=? WHERE job_id=? AND status='running'",
            (message, json.dumps(results, ensure_ascii=False), t, t, job_id),
        ))  # fmt: skip

    def fail(self, job_id: str, error: dict[str, Any]) -> bool:
        """Mark an active job failed with its error (code, description, status)."""
        t = now()
        return bool(self._write(
            "UPDATE jobs SET status='failed', message=?, error=?, finished=?, updated=? "
            "WHERE job_id=? AND status IN ('accepted', 'running')",
            (error.get("description", "failed"), json.dumps(error, ensure_ascii=False), t, t,
             job_id),
        ))  # fmt: skip

    def dismiss(self, job_id: str) -> JobRecord:
        """Mark a job dismissed (gone from status, results and lists); return it as it was."""
        with self._lock, self._db() as db:
            row = db.execute(
                f"SELECT {COLUMNS} FROM jobs WHERE job_id = ? AND status != 'dismissed'",
                (job_id,),
            ).fetchone()
            if row is None:
                raise JobNotFound(f"job {job_id!r} not found; see /jobs", details=NO_SUCH_JOB)
            db.execute(
                "UPDATE jobs SET status='dismissed', message='dismissed', updated=? WHERE job_id=?",
                (now(), job_id),
            )
        return JobRecord.from_row(row)

    def delete(self, job_id: str) -> None:
        """Remove a record for good."""
        self._write("DELETE FROM jobs WHERE job_id=?", (job_id,))

    def active(self) -> list[JobRecord]:
        """Return accepted and running jobs (to recover after a restart)."""
        rows = self._read(f"SELECT {COLUMNS} FROM jobs WHERE status IN {ACTIVE}")
        return [JobRecord.from_row(r) for r in rows]
