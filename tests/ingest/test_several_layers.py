"""Several layers of one file, one request: each becomes a layer, or none does."""

from __future__ import annotations

import zipfile

import geopandas as gpd
from shapely.geometry import Point

from tests.ingest.conftest import post_file
from tests.ingest.files import towns_frame


def villages_frame() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"code": ["v1", "v2", "v3"], "name_zh": ["甲村", "乙村", "丙村"]},
        geometry=[Point(109.95, 39.82), Point(109.97, 39.84), Point(110.0, 39.83)],
        crs="EPSG:4326",
    )


def two_layer_gpkg(tmp_path, villages=None):
    path = tmp_path / "pack.gpkg"
    towns_frame().to_file(path, layer="towns", driver="GPKG")
    (villages if villages is not None else villages_frame()).to_file(
        path, layer="villages", driver="GPKG"
    )
    return path


def count(client, layer_id: str) -> int | None:
    r = client.get(f"/collections/{layer_id}/items")
    return r.json()["numberMatched"] if r.status_code == 200 else None


def test_every_layer_of_a_geopackage_becomes_a_layer(client, keys, tmp_path):
    r = post_file(
        client, "/collections", two_layer_gpkg(tmp_path), keys["admin"], id="pack", source_layer="*"
    )

    assert r.status_code == 201, r.text
    made = {layer["source_layer"]: layer["layer"]["id"] for layer in r.json()["layers"]}
    assert made == {"towns": "pack_towns", "villages": "pack_villages"}
    assert count(client, "pack_towns") == 4 and count(client, "pack_villages") == 3


def test_named_datasets_of_a_zip_become_layers(client, keys, tmp_path):
    folder = tmp_path / "shapes"
    folder.mkdir()
    towns_frame().to_file(folder / "towns.shp", encoding="UTF-8")
    villages_frame().to_file(folder / "villages.shp", encoding="UTF-8")
    archive = tmp_path / "shapes.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for part in folder.iterdir():
            z.write(part, part.name)
    with archive.open("rb") as f:
        r = client.post(
            "/collections",
            files={"file": ("shapes.zip", f, "application/zip")},
            data={"id": "sheets", "source_layer": ["villages", "towns"]},
            headers={"Authorization": f"Bearer {keys['admin']}"},
        )

    assert r.status_code == 201, r.text
    assert count(client, "sheets_villages") == 3 and count(client, "sheets_towns") == 4


def test_one_bad_layer_refuses_them_all(client, keys, tmp_path):
    broken = villages_frame()
    broken.loc[1, "code"] = "v1"  # a duplicate key
    path = two_layer_gpkg(tmp_path, broken)

    r = post_file(
        client, "/collections", path, keys["admin"], id="pack", source_layer="*", key="code"
    )

    assert r.status_code == 422, r.text
    assert "villages" in r.json()["description"] and "nothing stored" in r.json()["description"]
    assert "villages" in r.json()["details"]["layers"]
    assert count(client, "pack_towns") is None and count(client, "pack_villages") is None


def test_a_dry_run_of_several_layers_stores_nothing(client, keys, tmp_path):
    r = post_file(
        client,
        "/collections",
        two_layer_gpkg(tmp_path),
        keys["admin"],
        id="pack",
        source_layer="towns,villages",
        dry_run="true",
    )

    assert r.status_code == 200, r.text
    assert [layer["feature_count"] for layer in r.json()["layers"]] == [4, 3]
    assert count(client, "pack_towns") is None


def test_unknown_source_layers_and_taken_ids_are_refused(client, keys, tmp_path):
    path = two_layer_gpkg(tmp_path)
    unknown = post_file(
        client, "/collections", path, keys["admin"], id="pack", source_layer="towns,roads"
    )
    first = post_file(client, "/collections", path, keys["admin"], id="pack", source_layer="*")
    again = post_file(client, "/collections", path, keys["admin"], id="pack", source_layer="*")

    assert unknown.status_code == 400 and "roads" in unknown.json()["description"]
    assert first.status_code == 201
    assert again.status_code == 409 and "pack_towns" in again.json()["description"]


def test_an_existing_layer_takes_one_source_layer(client, keys, tmp_path):
    r = post_file(
        client,
        "/collections/towns/uploads",
        two_layer_gpkg(tmp_path),
        keys["editor"],
        source_layer="*",
    )

    assert r.status_code == 400
    assert "POST the file to /collections" in r.json()["description"]
