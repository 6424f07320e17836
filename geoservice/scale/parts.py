"""Frames stored as GeoParquet parts, ordered along a Hilbert curve.

Each row of a part keeps ``_pos``, its position in the input frame, so parts
computed apart read back in the input's order.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

POSITION = "_pos"


@dataclass(frozen=True)
class PartitionedFrame:
    """A frame stored as GeoParquet parts (in order) in one CRS."""

    paths: list[Path]
    crs: str

    def batches(self) -> Iterator[gpd.GeoDataFrame]:
        """Yield the parts one at a time, without the position column."""
        for path in self.paths:
            part = gpd.read_parquet(path)
            yield part.drop(columns=[POSITION], errors="ignore")

    def read(self) -> gpd.GeoDataFrame:
        """Return all parts as one frame (for tests and small results)."""
        whole = pd.concat([gpd.read_parquet(path) for path in self.paths])
        if POSITION in whole.columns:
            whole = whole.sort_values(POSITION).drop(columns=[POSITION])
        return gpd.GeoDataFrame(whole, crs=self.crs)


def partition_frame(
    frame: gpd.GeoDataFrame, out_dir: Path, partition_features: int
) -> PartitionedFrame:
    """Write ``frame`` (metric CRS) as Hilbert-ordered GeoParquet parts with ``_pos``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    bounds = frame.total_bounds
    order = np.argsort(frame.geometry.hilbert_distance(total_bounds=bounds), kind="stable")
    ordered = frame.iloc[order].assign(**{POSITION: np.asarray(order, dtype="int64")})
    paths = []
    for i, start in enumerate(range(0, len(ordered), partition_features)):
        path = out_dir / f"part-{i:05d}.parquet"
        ordered.iloc[start : start + partition_features].to_parquet(path)
        paths.append(path)
    return PartitionedFrame(paths, frame.crs.to_string())
