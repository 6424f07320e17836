"""Key values seen so far in an upload, in 16 bytes each however long the keys are.

A million codes like "150602001002-000123-000456" held as Python strings in a
dict cost about 150 MB; as sorted 64-bit hashes with the file position that
used each first, 16 MB. Two different keys share a hash with a probability of
about n²/2⁶⁵ (3e-8 for a million keys), the price of not holding the file.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd


class KeyIndex:
    """Detect repeated key values across the batches of one upload."""

    def __init__(self, existing: Iterable[Any] = ()) -> None:
        self.hashes = np.empty(0, dtype=np.uint64)
        self.first = np.empty(0, dtype=np.int64)
        stored = [k for k in existing if k is not None]
        if stored:
            self.add(stored, np.full(len(stored), -1, dtype=np.int64))

    def add(self, keys: Sequence[Any], positions: np.ndarray) -> list[tuple[int, int]]:
        """Record a batch; return (row in batch, position of the first use) per repeat.

        A first position of -1 means the key is already in the stored layer.
        """
        values = np.asarray(keys, dtype=object)
        rows = np.flatnonzero(pd.notna(values))
        if not len(rows):
            return []
        hashes = pd.util.hash_array(values[rows])
        positions = np.asarray(positions, dtype=np.int64)[rows]
        repeats: list[tuple[int, int]] = []
        unique, where, inverse = np.unique(hashes, return_index=True, return_inverse=True)
        firsts = positions[where]
        for i in np.flatnonzero(np.arange(len(hashes)) != where[inverse]):
            repeats.append((int(rows[i]), int(firsts[inverse[i]])))
        slot = np.searchsorted(self.hashes, unique)
        known = slot < len(self.hashes)
        known[known] = self.hashes[slot[known]] == unique[known]
        for u in np.flatnonzero(known):
            earlier = int(self.first[slot[u]])
            repeats += [(int(rows[i]), earlier) for i in np.flatnonzero(inverse == u)]
        self._insert(unique[~known], firsts[~known])
        return sorted(repeats)

    def _insert(self, hashes: np.ndarray, firsts: np.ndarray) -> None:
        merged = np.concatenate([self.hashes, hashes])
        order = np.argsort(merged, kind="stable")
        self.hashes = merged[order]
        self.first = np.concatenate([self.first, firsts])[order]
