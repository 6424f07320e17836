"""``geoservice audit tail``: the last write requests from ``<data_dir>/audit/``."""

from __future__ import annotations

import json

import typer

from geoservice.settings import Settings

app = typer.Typer(no_args_is_help=True)


@app.command("tail")
def tail(
    n: int = typer.Option(20, "-n", "--lines", min=1, max=100_000, help="Records to show."),
    as_json: bool = typer.Option(False, "--json", help="Print the records as JSON lines."),
) -> None:
    """Print the last write requests: when, status, who, what, from where."""
    from geoservice.audit import AuditLog

    for record in AuditLog(Settings().audit_log_path).tail(n):
        if as_json:
            print(json.dumps(record, ensure_ascii=False))
            continue
        who = (
            f"{record['key_name']} ({record['role']}, {record['key_id']})"
            if record["key_id"]
            else "no valid key"
        )
        what = " ".join(
            x for x in (record["method"], record["path"], record["layer"], record["job"]) if x
        )
        print(
            f"{record['time']}  {record['status']}  {who}  {what}  from {record['client']}"
            f"  [{record['request_id']}]"
        )
