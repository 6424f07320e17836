"""A CSV's columns get the types their values fit, as GDAL's AUTODETECT_TYPE does."""

from __future__ import annotations

import pytest

from geoservice.ingest.csvtypes import infer_csv_types
from tests.ingest.conftest import post_file

ROWS = [
    # lon, lat, val, ratio, open, since, code, name
    ("109.95", "39.82", "5", "0.5", "true", "2024-01-31", "0477", "甲"),
    ("109.96", "39.83", "12", "1", "false", "2023-12-01", "0102", "乙"),
    ("109.97", "39.84", "40", "2.25", "", "", "1234", "丙"),
]
HEADER = "lon,lat,val,ratio,open,since,code,name"


def typed_csv(tmp_path):
    path = tmp_path / "points.csv"
    path.write_text("\n".join([HEADER, *(",".join(r) for r in ROWS)]) + "\n", encoding="utf-8")
    return path


def test_each_column_gets_the_narrowest_type_all_its_values_fit(tmp_path):
    kinds = infer_csv_types(typed_csv(tmp_path), HEADER.split(",")[2:])

    assert kinds == {
        "val": "integer",
        "ratio": "number",
        "open": "boolean",
        "since": "date",
        "code": "string",  # leading zeros: an integer would lose them
        "name": "string",
    }


@pytest.mark.parametrize(
    ("values", "kind"),
    [
        (["1", "2.5"], "number"),
        (["1", "x"], "string"),
        (["12345678901234567890"], "string"),  # too long for an integer: an id
        (["2024-02-30"], "string"),  # not a day
        (["", ""], "string"),
        (["-3", "+4"], "integer"),
    ],
)
def test_a_column_widens_to_what_every_value_fits(tmp_path, values, kind):
    path = tmp_path / "c.csv"
    path.write_text("c\n" + "\n".join(values) + "\n", encoding="utf-8")

    assert infer_csv_types(path, ["c"]) == {"c": kind}


def test_a_new_layer_from_a_csv_compares_numbers_as_numbers(client, keys, tmp_path):
    r = post_file(client, "/collections", typed_csv(tmp_path), keys["admin"], id="typed")

    assert r.status_code == 201, r.text
    assert any(w["rule"] == "attribute-types" for w in r.json()["warnings"])
    queryables = client.get("/collections/typed/queryables").json()["properties"]
    assert queryables["val"]["type"] == "integer"
    assert queryables["code"]["type"] == "string"
    items = client.get("/collections/typed/items", params={"filter": "val > 10"}).json()
    assert sorted(f["properties"]["val"] for f in items["features"]) == [12, 40]
    codes = client.get("/collections/typed/items").json()["features"]
    assert {f["properties"]["code"] for f in codes} == {"0477", "0102", "1234"}


def test_the_uploader_overrides_an_inferred_type(client, keys, tmp_path):
    r = post_file(
        client,
        "/collections",
        typed_csv(tmp_path),
        keys["admin"],
        id="typed",
        field_types="val=string",
    )

    assert r.status_code == 201, r.text
    queryables = client.get("/collections/typed/queryables").json()["properties"]
    assert queryables["val"]["type"] == "string"


@pytest.mark.parametrize("field_types", ["val=float", "nosuch=integer", "val"])
def test_a_wrong_type_override_is_refused_naming_it(client, keys, tmp_path, field_types):
    r = post_file(
        client,
        "/collections",
        typed_csv(tmp_path),
        keys["admin"],
        id="typed",
        field_types=field_types,
    )

    assert r.status_code == 400, r.text
    assert "field_types" in r.json()["description"]
    assert client.get("/collections/typed").status_code == 404
