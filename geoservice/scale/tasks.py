"""Submit tasks, report progress as their futures finish, cancel them on a dismissal."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any


def run_tasks(
    client: Any,
    func: Callable[..., Any],
    arguments: Sequence[tuple],
    *,
    progress: Callable[[float], None] | None = None,
    key: str = "geoservice",
) -> list[Any]:
    """Run ``func(*args)`` for each of ``arguments`` on the cluster; return results in order.

    ``progress`` gets the finished fraction after each task; if it raises (a job
    dismissed), or a task fails, every unfinished future is cancelled before the
    error propagates. ``client=None`` runs the tasks one after the other here.
    """
    if client is None:
        results = []
        for done, args in enumerate(arguments, start=1):
            results.append(func(*args))
            if progress is not None:
                progress(done / len(arguments))
        return results
    from distributed import as_completed

    futures = [
        client.submit(func, *args, key=f"{key}-{i}", pure=False) for i, args in enumerate(arguments)
    ]
    try:
        for done, _ in enumerate(as_completed(futures), start=1):
            if progress is not None:
                progress(done / max(1, len(futures)))
        return client.gather(futures)
    except BaseException:
        client.cancel(futures)
        raise
