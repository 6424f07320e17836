"""Run jobs on a worker pool owned by the app; record their progress and results.

The HTTP layer calls :meth:`JobManager.submit` and never runs an analysis on the
request thread: a synchronous request only waits (a bounded time) for the job's
future. The CLI runs the same :func:`execute` in its own process.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from geoservice.errors import GeoserviceError
from geoservice.processes.context import JobDismissed, LayerRegistry, ProcessContext, area_of
from geoservice.processes.inputs import ProcessInputs
from geoservice.processes.jobs import ACTIVE, JobRecord, JobStore
from geoservice.processes.outputs import check_target, layer_ids, write_outputs
from geoservice.processes.registry import DATA_QUALITY, Process
from geoservice.settings import FilterLimits, ScaleSettings
from geoservice.storage.base import FeatureStore

log = logging.getLogger(__name__)
_LIVE: set[str] = set()  # owner tokens of the managers running in this process


def default_base_id(process_id: str, job_id: str) -> str:
    """Return the default result collection id of a job."""
    return f"{process_id.replace('-', '_')}_{job_id[:8]}"


def execute(process: Process, inputs: ProcessInputs, ctx: ProcessContext) -> dict[str, Any]:
    """Run a process and store its outputs; return the results document."""
    if ctx.area is None:
        ctx.area = area_of(inputs, ctx.layers.catalog())
    ctx.include_symbolic = inputs.include_symbolic
    base_id = getattr(inputs, "out_layer", None) or default_base_id(process.id, ctx.job_id)
    check_target(ctx, base_id)
    outputs = process.run(inputs, ctx)
    ctx.report(90, "storing results")
    for layer_id in layer_ids(outputs, base_id).values():
        check_target(ctx, layer_id)
    results = write_outputs(ctx, outputs, base_id)
    # The parts are stored now; left behind they would fill data/scale/ job after job.
    shutil.rmtree(ctx.work_dir, ignore_errors=True)
    results[DATA_QUALITY] = ctx.data_quality()
    return results


def discard_outputs(ctx: ProcessContext, written: list[dict[str, Any]]) -> list[str]:
    """Delete what a job wrote, when nothing else wrote to it (and its GeoParquet
    partitions); return what was kept."""
    shutil.rmtree(ctx.work_dir, ignore_errors=True)
    kept = []
    for item in written:
        if item["kind"] == "raster":
            for suffix in (".tif", ".json"):
                (ctx.raster_dir / f"{item['id']}{suffix}").unlink(missing_ok=True)
            continue
        try:
            versions = ctx.store.versions(item["id"])
        except GeoserviceError:
            continue
        if all(ctx.job_id in v.message for v in versions):
            ctx.layers.unpublish(item["id"])
            ctx.store.delete_layer(item["id"])
        else:
            kept.append(item["id"])
    return kept


@dataclass
class Submitted:
    """A job just accepted, and the future of its run."""

    record: JobRecord
    future: Future


class JobManager:
    """Owns the worker threads and the job records of one app (or CLI run)."""

    def __init__(
        self,
        *,
        jobs: JobStore,
        store: FeatureStore,
        layers: LayerRegistry,
        raster_dir: Path,
        workers: int = 1,
        max_inline_features: int = 100_000,
        filter_limits: FilterLimits | None = None,
        cluster: Any = None,
        scale: ScaleSettings | None = None,
        scale_dir: Path | None = None,
    ) -> None:
        self.jobs, self.store, self.layers = jobs, store, layers
        self.raster_dir = raster_dir
        self.max_inline_features = max_inline_features
        self.filter_limits = filter_limits or FilterLimits()
        self.cluster, self.scale, self.scale_dir = cluster, scale or ScaleSettings(), scale_dir
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="gs-job")
        self._closing = threading.Event()
        _LIVE.add(self.owner)
        self.recover()

    def context(self, record: JobRecord, reporter=None, authorise=None) -> ProcessContext:
        """Return the context a job runs in."""
        return ProcessContext(
            store=self.store,
            layers=self.layers,
            raster_dir=self.raster_dir,
            job_id=record.job_id,
            process_id=record.process_id,
            author=record.author or "processes",
            reporter=reporter,
            max_inline_features=self.max_inline_features,
            authorise=authorise,
            filter_limits=self.filter_limits,
            cluster=self.cluster,
            scale=self.scale,
            scale_dir=self.scale_dir,
        )

    def submit(
        self,
        process: Process,
        inputs: ProcessInputs,
        *,
        author: str = "",
        owner_key: str = "",
        authorise: Callable[[str, bool], None] | None = None,
    ) -> Submitted:
        """Record a new job and queue it on the pool.

        ``owner_key`` is the key the job belongs to (who may see and dismiss it);
        ``authorise`` checks each result collection before the job writes it.
        Inputs the process refuses on their data (:attr:`Process.check`) raise
        here, before any job is recorded.
        """
        self.check(process, inputs)
        record = JobRecord(
            job_id=uuid.uuid4().hex,
            process_id=process.id,
            status="accepted",
            message="queued",
            inputs=inputs.model_dump(mode="json", by_alias=True, exclude_none=True),
            owner=self.owner,
            author=author,
            owner_key=owner_key,
        )
        self.jobs.create(record)
        future = self._pool.submit(self._run, record, process, inputs, authorise)
        return Submitted(record, future)

    def check(self, process: Process, inputs: ProcessInputs) -> None:
        """Run the process's check of its inputs' data in a context like a job's (the
        same study area, the same symbolic positions left out), but writing nothing."""
        if process.check is None:
            return
        ctx = ProcessContext(
            store=self.store,
            layers=self.layers,
            raster_dir=self.raster_dir,
            job_id="",
            process_id=process.id,
            max_inline_features=self.max_inline_features,
            filter_limits=self.filter_limits,
            area=area_of(inputs, self.layers.catalog()),
            include_symbolic=inputs.include_symbolic,
        )
        process.check(inputs, ctx)

    def submit_task(
        self,
        kind: str,
        inputs: dict[str, Any],
        run: Callable[[ProcessContext], dict[str, Any]],
        *,
        author: str = "",
        owner_key: str = "",
        cleanup: Callable[[], None] | None = None,
    ) -> Submitted:
        """Record a job that is not a process (an upload, say) and queue ``run``.

        ``run`` gets the job's context (report progress with ``ctx.report``: a
        dismissed job stops there) and returns the results document. ``cleanup``
        runs when the job ends, however it ends, dismissed while queued included.
        """
        record = JobRecord(
            job_id=uuid.uuid4().hex,
            process_id=kind,
            status="accepted",
            message="queued",
            inputs=inputs,
            owner=self.owner,
            author=author,
            owner_key=owner_key,
        )
        self.jobs.create(record)

        def task() -> None:
            try:
                self._run_job(record, run, None)
            finally:
                if cleanup is not None:
                    cleanup()

        return Submitted(record, self._pool.submit(task))

    def _run(self, record: JobRecord, process: Process, inputs: ProcessInputs, authorise) -> None:
        self._run_job(record, lambda ctx: execute(process, inputs, ctx), authorise)

    def _run_job(
        self, record: JobRecord, run: Callable[[ProcessContext], dict[str, Any]], authorise
    ) -> None:
        if not self.jobs.start(record.job_id):  # dismissed while queued
            self.jobs.delete(record.job_id)
            return
        ctx = self.context(record, self._reporter(record.job_id), authorise)
        ctx.on_write = lambda written: self.jobs.add_written(record.job_id, written)
        try:
            results = run(ctx)
        except JobDismissed:
            self._dismissed(ctx)
            return
        except GeoserviceError as exc:
            self._fail(ctx, exc.code, exc.message, exc.details)
            return
        except Exception as exc:  # a bug or a library failure: report it, keep the pool alive
            log.exception("job %s (%s) failed", record.job_id, record.process_id)
            self._fail(ctx, "ProcessFailed", f"{type(exc).__name__}: {exc}", None)
            return
        if not self.jobs.finish(record.job_id, results):
            self._dismissed(ctx)

    def _fail(self, ctx, code, description, details) -> None:
        """Record a failure by its domain error code; how HTTP shows it is not decided here."""
        discard_outputs(ctx, ctx.written)
        error = {"code": code, "description": description, "details": details}
        self.jobs.fail(ctx.job_id, error)

    def _dismissed(self, ctx: ProcessContext) -> None:
        discard_outputs(ctx, ctx.written)
        self.jobs.delete(ctx.job_id)

    def _reporter(self, job_id: str):
        last = {"percent": -1, "message": "", "at": 0.0}

        def report(percent: int, message: str) -> None:
            if self._closing.is_set():
                raise GeoserviceError("the service stopped before this job finished; run it again")
            stamp = time.monotonic()
            if percent == last["percent"] and message == last["message"]:
                return
            if percent < last["percent"] + 1 and stamp - last["at"] < 0.5:
                return
            last.update(percent=percent, message=message, at=stamp)
            if not self.jobs.progress(job_id, percent, message):
                raise JobDismissed(f"job {job_id} was dismissed")

        return report

    def dismiss(self, job_id: str) -> JobRecord:
        """Dismiss a job: stop it if it runs, delete its outputs and its record."""
        before = self.jobs.dismiss(job_id)
        if before.status not in ACTIVE:  # finished: clean up now; a running job cleans up itself
            discard_outputs(self.context(before), before.written)
            self.jobs.delete(job_id)
        before.status, before.message = "dismissed", "dismissed"
        return before

    def recover(self) -> None:
        """Fail the active jobs whose owner is gone (the service stopped under them)."""
        for record in self.jobs.active():
            if not _owner_alive(record.owner):
                self.jobs.fail(
                    record.job_id,
                    {
                        "code": "Interrupted",
                        "description": "the service stopped before this job finished; run it again",
                    },
                )

    def close(self) -> None:
        """Stop taking jobs; running ones stop at their next progress report."""
        self._closing.set()
        self._pool.shutdown(wait=True, cancel_futures=True)
        _LIVE.discard(self.owner)


def _owner_alive(owner: str) -> bool:
    """Tell whether the manager that owns a job may still be running it."""
    if owner in _LIVE:
        return True
    parts = owner.split(":")
    if len(parts) != 3 or not parts[1].isdigit():
        return False
    host, pid = parts[0], int(parts[1])
    if host != socket.gethostname():
        return True  # another machine: it cannot be told from here
    if pid == os.getpid():
        return False  # this process, but no live manager of that name
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True
