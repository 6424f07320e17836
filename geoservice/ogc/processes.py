"""OGC API - Processes - Part 1 documents: process lists and descriptions, job status,
job lists and results. Framework-free; hrefs are absolute (the base URL is given).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from geoservice.ogc.links import JSON, link
from geoservice.processes.inputs import json_schema_of
from geoservice.processes.jobs import JobRecord
from geoservice.processes.registry import Process
from geoservice.processes.upload_jobs import UPLOAD_JOB

PROCESSES_1 = "http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf"
PROCESSES_CONFORMANCE = [
    f"{PROCESSES_1}/core",
    f"{PROCESSES_1}/json",
    f"{PROCESSES_1}/ogc-process-description",
    f"{PROCESSES_1}/job-list",
    f"{PROCESSES_1}/dismiss",
]
REL = "http://www.opengis.net/def/rel/ogc/1.0"
EXCEPTIONS = "http://www.opengis.net/def/exceptions/ogcapi-processes-1/1.0"
JOB_CONTROL = ["sync-execute", "async-execute", "dismiss"]


def process_summary(process: Process, base_url: str) -> dict[str, Any]:
    """Return the summary of a process, as listed by ``/processes``."""
    url = f"{base_url}/processes/{process.id}"
    return {
        "id": process.id,
        "title": process.title,
        "description": process.description,
        "version": process.version,
        "keywords": list(process.keywords),
        "jobControlOptions": JOB_CONTROL,
        "outputTransmission": ["value", "reference"],
        "additionalParameters": {"title_zh": process.title_zh},
        "links": [
            link(url, "self", JSON, process.title),
            link(f"{url}/execution", f"{REL}/execute", JSON, "Execute"),
        ],
    }


def process_list(processes: list[Process], base_url: str) -> dict[str, Any]:
    """Return the ``/processes`` document."""
    return {
        "processes": [process_summary(p, base_url) for p in processes],
        "links": [link(f"{base_url}/processes", "self", JSON)],
    }


def process_description(process: Process, base_url: str) -> dict[str, Any]:
    """Return a process description: summary, inputs (JSON schema) and outputs."""
    model = process.inputs
    inputs = {}
    for name, info in model.model_fields.items():
        inputs[name] = {
            "title": name.replace("_", " "),
            "description": info.description or "",
            "schema": json_schema_of(model, name),
            "minOccurs": 1 if info.is_required() else 0,
            "maxOccurs": 1,
        }
    outputs = {
        name: {
            "title": spec.title,
            "description": spec.description,
            "schema": _output_schema(spec.kind),
        }
        for name, spec in process.outputs.items()
    }
    return {**process_summary(process, base_url), "inputs": inputs, "outputs": outputs}


def _output_schema(kind: str) -> dict[str, Any]:
    media = {"collection": "application/geo+json", "raster": "image/tiff; application=geotiff"}
    if kind in media:
        return {
            "type": "object",
            "contentMediaType": media[kind],
            "description": f"A link to a {kind}",
        }
    return {"type": ["object", "array"]}


StatusOfCode = Callable[[str | None], int]
"""The HTTP status an error code is shown with (the job records only the code)."""


def status_info(
    record: JobRecord, base_url: str, status_of: StatusOfCode = lambda code: 500
) -> dict[str, Any]:
    """Return a job's status (``statusInfo``), with links to itself and its results."""
    url = f"{base_url}/jobs/{record.job_id}"
    collection = record.inputs.get("collection") if record.process_id == UPLOAD_JOB else None
    up = (
        link(f"{base_url}/collections/{collection}", "up", JSON, "Collection")
        if collection
        else link(f"{base_url}/processes/{record.process_id}", "up", JSON, "Process")
    )
    links = [link(url, "self", JSON, "Job status"), up]
    if record.status == "successful":
        links.append(link(f"{url}/results", f"{REL}/results", JSON, "Results"))
    doc = {
        "jobID": record.job_id,
        "id": record.job_id,
        "processID": record.process_id,
        "type": "process",
        "status": record.status,
        "message": record.message,
        "progress": record.progress,
        "created": record.created,
        "started": record.started,
        "finished": record.finished,
        "updated": record.updated,
        "links": links,
    }
    if record.error:
        doc["exception"] = {
            "type": record.error.get("code"),
            "title": record.error.get("code"),
            "status": status_of(record.error.get("code")),
            "detail": record.error.get("description"),
        }
    return {k: v for k, v in doc.items() if v is not None}


def job_list(
    records: list[JobRecord],
    base_url: str,
    *,
    next_url: str | None,
    status_of: StatusOfCode = lambda code: 500,
) -> dict[str, Any]:
    """Return the ``/jobs`` document."""
    links = [link(f"{base_url}/jobs", "self", JSON)]
    if next_url:
        links.append(link(next_url, "next", JSON))
    return {"jobs": [status_info(r, base_url, status_of) for r in records], "links": links}


def results_document(record: JobRecord, base_url: str) -> dict[str, Any]:
    """Return a job's results, each href made absolute."""
    return absolute(record.results or {}, base_url)


def absolute(value: Any, base_url: str) -> Any:
    """Prefix every relative ``href`` (starting with '/') with ``base_url``."""
    if isinstance(value, dict):
        return {k: _absolute_item(k, v, base_url) for k, v in value.items()}
    if isinstance(value, list):
        return [absolute(v, base_url) for v in value]
    return value


def _absolute_item(key: str, value: Any, base_url: str) -> Any:
    if key == "href" and isinstance(value, str) and value.startswith("/"):
        return base_url + value
    return absolute(value, base_url)
