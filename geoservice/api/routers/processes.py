"""OGC API - Processes - Part 1: processes, execution (sync and async), jobs, results."""

from __future__ import annotations

import contextlib
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Header, Query, Request
from fastapi import Path as PathParam

from geoservice.api.auth import (
    EditorDep,
    check_job_owner,
    get_principal,
    may_see_all_jobs,
    result_writer,
)
from geoservice.api.deps import BaseUrlDep, CatalogDep, ManagerDep, SettingsDep
from geoservice.api.errors import error_response, status_of_code
from geoservice.api.params import OffsetQuery
from geoservice.api.responses import JSONBytesResponse
from geoservice.errors import InvalidParameter, NotFoundError
from geoservice.ogc import processes as docs
from geoservice.processes.context import check_references
from geoservice.processes.inputs import parse_inputs
from geoservice.processes.jobs import ACTIVE, JobRecord
from geoservice.processes.registry import Process, get_process, processes

router = APIRouter(tags=["Processes"])


class ResultNotReady(NotFoundError):
    """The job has not finished: no results yet."""

    code = "ResultNotReady"


async def get_process_dep(
    processId: Annotated[str, PathParam(description="process id")],
) -> Process:
    """Resolve a process id, or 404."""
    return get_process(processId)


ProcessDep = Annotated[Process, Depends(get_process_dep)]
JobIdPath = Annotated[str, PathParam(description="job id")]


@router.get("/processes", operation_id="getProcesses", summary="Processes")
def list_processes(base_url: BaseUrlDep):
    """List the processes this service offers."""
    return JSONBytesResponse(docs.process_list(list(processes().values()), base_url))


@router.get("/processes/{processId}", operation_id="getProcessDescription", summary="Process")
def describe_process(process: ProcessDep, base_url: BaseUrlDep):
    """Describe a process: its inputs (JSON schema) and outputs."""
    return JSONBytesResponse(docs.process_description(process, base_url))


@router.post(
    "/processes/{processId}/execution",
    operation_id="execute",
    summary="Execute a process",
    responses={201: {"description": "Job accepted (asynchronous)"}},
)
def execute(
    request: Request,
    process: ProcessDep,
    principal: EditorDep,
    manager: ManagerDep,
    catalog: CatalogDep,
    settings: SettingsDep,
    base_url: BaseUrlDep,
    body: Annotated[dict[str, Any], Body(examples=[{"inputs": {}}])],
    prefer: Annotated[str | None, Header()] = None,
):
    """Run a process: wait for small jobs, or answer 201 with the job (Prefer: respond-async)."""
    inputs = parse_inputs(process.inputs, body.get("inputs", {}))
    check_references(inputs, catalog, settings.api.filters)
    authorise = result_writer(principal)
    out_layer = getattr(inputs, "out_layer", None)
    if out_layer:  # refused before anything is queued; derived ids are checked as written
        authorise(out_layer, out_layer in catalog)
    submitted = manager.submit(
        process, inputs, author=principal.label, owner_key=principal.key_id, authorise=authorise
    )
    request.state.audit_job = submitted.record.job_id  # for the audit record
    wants_async = "respond-async" in (prefer or "").lower()
    if not wants_async:
        with contextlib.suppress(FutureTimeout):
            submitted.future.result(timeout=settings.processes.sync_wait_s)
    record = manager.jobs.get(submitted.record.job_id)
    if wants_async or record.status in ACTIVE:
        return _accepted(record, base_url, wants_async)
    if record.status == "failed":
        return _failure(record)
    return JSONBytesResponse(docs.results_document(record, base_url))


def _accepted(record: JobRecord, base_url: str, preferred: bool):
    headers = {"Location": f"{base_url}/jobs/{record.job_id}"}
    if preferred:
        headers["Preference-Applied"] = "respond-async"
    return JSONBytesResponse(
        docs.status_info(record, base_url, status_of_code), status_code=201, headers=headers
    )


def _failure(record: JobRecord):
    error = record.error or {}
    details = {"jobID": record.job_id, "details": error.get("details")}
    return error_response(
        status_of_code(error.get("code")),
        error.get("code") or "ProcessFailed",
        error.get("description") or "the job failed",
        details,
    )


JOB_STATUSES = ("accepted", "running", "successful", "failed")


@router.get("/jobs", operation_id="getJobs", summary="Jobs")
def list_jobs(
    request: Request,
    manager: ManagerDep,
    base_url: BaseUrlDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: OffsetQuery = 0,
    processID: Annotated[str | None, Query()] = None,
    status: Annotated[str | None, Query(json_schema_extra={"enum": list(JOB_STATUSES)})] = None,
):
    """List the caller's jobs, newest first (an admin's key lists every job; without a key
    the list is empty: a job's status and results stay readable by its id)."""
    if status is not None and status not in JOB_STATUSES:
        raise InvalidParameter("status must be accepted, running, successful or failed")
    principal = get_principal(request)
    if principal is None:
        return JSONBytesResponse(docs.job_list([], base_url, next_url=None))
    owner = None if may_see_all_jobs(principal) else principal.key_id
    records = manager.jobs.list(
        limit=limit + 1, offset=offset, process_id=processID, status=status, owner_key=owner
    )
    next_url = None
    if len(records) > limit:
        records = records[:limit]
        next_url = f"{base_url}/jobs?limit={limit}&offset={offset + limit}"
    return JSONBytesResponse(
        docs.job_list(records, base_url, next_url=next_url, status_of=status_of_code)
    )


@router.get("/jobs/{jobId}", operation_id="getStatus", summary="Job status")
def job_status(jobId: JobIdPath, manager: ManagerDep, base_url: BaseUrlDep):
    """Return a job's status and progress."""
    return JSONBytesResponse(docs.status_info(manager.jobs.get(jobId), base_url, status_of_code))


@router.get("/jobs/{jobId}/results", operation_id="getResult", summary="Job results")
def job_results(jobId: JobIdPath, manager: ManagerDep, base_url: BaseUrlDep):
    """Return a finished job's results (links to result collections, JSON summaries)."""
    record = manager.jobs.get(jobId)
    if record.status in ACTIVE:
        raise ResultNotReady(
            f"job {jobId} is {record.status} ({record.progress} %); try again later",
            details={"type": f"{docs.EXCEPTIONS}/result-not-ready"},
        )
    if record.status == "failed":
        return _failure(record)
    return JSONBytesResponse(docs.results_document(record, base_url))


@router.delete("/jobs/{jobId}", operation_id="dismiss", summary="Dismiss a job")
def dismiss_job(jobId: JobIdPath, principal: EditorDep, manager: ManagerDep, base_url: BaseUrlDep):
    """Cancel a running job or delete a finished one, with the collections it created
    (the key that started it, or an admin's)."""
    check_job_owner(principal, manager.jobs.get(jobId).owner_key, jobId)
    return JSONBytesResponse(docs.status_info(manager.dismiss(jobId), base_url, status_of_code))
