"""Uploads run as jobs: a large file is not one silent request that takes minutes.

With ``Prefer: respond-async``, or above ``uploads.async_above_bytes``, the
received file is handed to a job on the app's job pool: the client gets the job
at once (202, ``Location: /jobs/{id}``), its status shows how many features
were read, checked and written, ``DELETE /jobs/{id}`` cancels it (the version
being written is rolled back: nothing is stored), and its results are the
upload's report. The file's folder stays locked as in use until the job ends.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from geoservice.ingest.service import IngestOutcome
from geoservice.ingest.workdir import HeldFolder
from geoservice.processes.context import ProcessContext
from geoservice.processes.manager import JobManager, Submitted

UPLOAD_JOB = "upload"
"""The ``processID`` of upload jobs (``GET /jobs?processID=upload`` lists them)."""

Ingest = Callable[[Callable[[int, int], None]], IngestOutcome]


def submit_upload(
    manager: JobManager,
    *,
    folder: HeldFolder,
    collection: str,
    file: str,
    run_ingest: Ingest,
    results: Callable[[IngestOutcome], dict[str, Any]],
    author: str,
    owner_key: str,
) -> Submitted:
    """Queue an upload whose file lies in ``folder``; the job releases the folder.

    ``run_ingest(progress)`` ingests the file, calling ``progress(done, total)``
    per batch; ``results(outcome)`` makes the job's results document (the report).
    """

    def run(ctx: ProcessContext) -> dict[str, Any]:
        def progress(done: int, total: int) -> None:
            ctx.report(
                100 * done / max(total, 1),
                f"{done:,} of {total:,} features read, checked and written",
            )

        ctx.report(0, f"reading {file}")
        return results(run_ingest(progress))

    return manager.submit_task(
        UPLOAD_JOB,
        {"collection": collection, "file": file},
        run,
        author=author,
        owner_key=owner_key,
        cleanup=folder.release,
    )
