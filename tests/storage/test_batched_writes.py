"""Batched writes (uploads) and version-checked edits, on both stores."""

from __future__ import annotations

import pytest

from geoservice.errors import PreconditionFailed


def test_batches_become_one_version(store, grid_layer):
    layer, frame = grid_layer
    info = store.write_batches(layer, [frame.iloc[:4], frame.iloc[4:]], author="eve")
    assert info.version == 1
    assert info.feature_count == len(frame)
    assert sorted(store.read_frame(layer)["code"]) == sorted(frame["code"])


def test_an_iterator_failing_half_way_rolls_the_version_back(store, grid_layer):
    layer, frame = grid_layer
    store.write(layer, frame.iloc[:2])

    def batches():
        yield frame.iloc[2:5]
        raise RuntimeError("refused after the first batch")

    with pytest.raises(RuntimeError):
        store.write_batches(layer, batches())
    assert store.current_version(layer.id).version == 1
    assert len(store.versions(layer.id)) == 1
    assert sorted(store.read_frame(layer)["code"]) == sorted(frame["code"].iloc[:2])
    assert store.write_batches(layer, [frame]).version == 2


def test_an_edit_based_on_an_older_version_is_refused(store, points_layer):
    layer, frame = points_layer
    store.write(layer, frame)
    store.edit(layer, deletes=[1], expected_version=1)
    with pytest.raises(PreconditionFailed):
        store.edit(layer, deletes=[2], expected_version=1)
    assert store.current_version(layer.id).version == 2
    assert len(store.read_frame(layer)) == len(frame) - 1
