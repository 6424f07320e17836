"""The GeoPackage change token: every commit changes it, reading it costs no syscall."""

from __future__ import annotations

import shutil
import sqlite3

from geoservice.storage import wal_token
from geoservice.storage.wal_token import WalChangeToken


def _wal_file(path):
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    return conn


def test_every_commit_changes_the_token_at_once(tmp_path):
    path = tmp_path / "a.gpkg"
    keep_open = _wal_file(path)
    token = WalChangeToken(path, stat_every_s=3600)  # only the shared index can tell
    before = token()
    assert token() == before

    other = sqlite3.connect(path)  # another connection, as another process would be
    other.execute("INSERT INTO t VALUES (1)")
    other.commit()

    assert token() != before
    other.close()
    keep_open.close()
    token.close()


def test_reading_the_token_makes_no_system_call_between_checks(tmp_path, monkeypatch):
    path = tmp_path / "a.gpkg"
    keep_open = _wal_file(path)
    token = WalChangeToken(path, stat_every_s=3600)
    token()
    calls = []
    real_stat = wal_token.os.stat
    monkeypatch.setattr(wal_token.os, "stat", lambda p: calls.append(p) or real_stat(p))

    for _ in range(100):
        token()

    assert calls == []
    keep_open.close()
    token.close()


def test_a_file_replaced_on_disk_changes_the_token_at_the_next_check(tmp_path):
    path, copy = tmp_path / "a.gpkg", tmp_path / "b.gpkg"
    _wal_file(copy).close()
    keep_open = _wal_file(path)
    token = WalChangeToken(path, stat_every_s=0)
    before = token()

    keep_open.close()
    shutil.copy(copy, tmp_path / "c.gpkg")
    (tmp_path / "c.gpkg").replace(path)  # a new inode under the same name

    assert token() != before
    token.close()


def test_a_file_without_a_log_yet_gives_a_token(tmp_path):
    token = WalChangeToken(tmp_path / "missing.gpkg", stat_every_s=0)
    assert token() == ((None, None, None), None)
    token.close()
