"""Open an uploaded dataset with GDAL (pyogrio) and read it in batches.

A dataset is never read whole: ``iter_frames`` yields frames of at most
``batch`` features, indexed by their position in the file, so a 100 MB
shapefile costs the memory of one batch, not of the file.

Before GDAL opens it, the file's own structure is scanned (``scan_json``,
``scan_jsonseq``, ``scan_csv``, ``shapefile``, ``containers``): GDAL skips
records it cannot parse without a word, so the scan names them (line or record
number) and says how many features GDAL must return. Each batch becomes a frame
in ``batches`` (geometries built by ``wkb.decode``, which refuses oversized
ones before building them); what cannot be read (a ring not closed, text that
is not UTF-8) travels with each frame as ``attrs["problems"]`` for the pipeline
to report.
"""

from __future__ import annotations

import codecs
import csv
import warnings
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio
import pyogrio.raw

from geoservice.errors import GeoserviceError, InvalidParameter, InvalidUpload
from geoservice.ingest.batches import arrow_frame, table_frame
from geoservice.ingest.containers import check_flatgeobuf, check_geopackage
from geoservice.ingest.csvtypes import DTYPE_OF, infer_csv_types
from geoservice.ingest.encoding import TextEncoding, shapefile_encoding
from geoservice.ingest.records import Records
from geoservice.ingest.report import IngestReport, Locator
from geoservice.ingest.scan_csv import scan_csv
from geoservice.ingest.scan_json import scan_geojson
from geoservice.ingest.scan_jsonseq import scan_geojson_seq
from geoservice.ingest.shapefile import scan_shapefile
from geoservice.ingest.sniff import Source, scrub
from geoservice.ingest.workdir import disk_full

LON_NAMES = ("lon", "lng", "long", "longitude", "x", "经度", "point_x")
LAT_NAMES = ("lat", "latitude", "y", "纬度", "point_y")
WKT_NAMES = ("wkt", "geometry", "geom", "the_geom", "shape")
RANDOM_ACCESS = ("ESRI Shapefile", "GPKG")
PREFIXED = ("GeoJSONSeq", "CSV")
NO_LIMIT = 10**12  # GDAL guesses another driver for some such files


@dataclass(frozen=True)
class Dataset:
    """An opened layer of an uploaded dataset and how to read it."""

    source: Source
    layer: str | None
    feature_count: int
    crs: str | None
    geometry_type: str
    fields: list[str]
    dtypes: list[str]
    encoding: TextEncoding | None = None
    csv_geometry: str | None = None  # "lonlat" or "wkt"
    measured: bool = False  # the layer has M values (GDAL reads them as 2D)
    read_kwargs: dict[str, Any] = field(default_factory=dict)
    records: Records | None = None  # what the scan of the file's structure found
    max_vertices: int = NO_LIMIT
    inferred_types: dict[str, str] | None = None  # a CSV's column types, from its values

    @property
    def gdal_path(self) -> str:
        """Return the path GDAL opens (see :func:`gdal_path`)."""
        return gdal_path(self.source)

    @property
    def locator(self) -> Locator:
        """Return how positions of this dataset are shown (line, record, feature)."""
        return self.records.locator() if self.records else Locator()

    def expected_count(self) -> tuple[int, str] | None:
        """Return how many features GDAL must return, and where that number comes from."""
        if self.records is not None:
            if self.records.problems:  # reported line by line: a count would say it again
                return None
            what = "records of the shapefile" if self.records.unit == "record" else "features"
            return self.records.count, f"{what} in the file"
        if self.source.driver == "FlatGeobuf":
            return self.feature_count, "features its header declares"
        return None  # GeoPackages are checked by SQLite; KML by the XML parser


def gdal_path(source: Source) -> str:
    """Return the path with a driver prefix where GDAL could guess another driver
    (a GeoJSON sequence whose first line GDAL reads as a whole GeoJSON, a CSV
    named ``.txt``)."""
    path = str(source.path)
    return f"{source.driver}:{path}" if source.driver in PREFIXED else path


def open_dataset(
    source: Source,
    *,
    source_layer: str | None,
    encoding: str | None,
    work: Path,
    max_vertices: int | None = None,
    report: IngestReport | None = None,
) -> Dataset:
    """Scan the file's structure, choose the layer, settle the text encoding and read
    the dataset's metadata.

    The scan's findings go into ``report`` (which refuses the upload at once when
    GDAL could not read the file at all).
    """
    limit = max_vertices or NO_LIMIT
    kwargs: dict[str, Any] = {}
    text_encoding, csv_geometry, records = None, None, None
    path = source.path
    if source.driver == "ESRI Shapefile":
        records = scan_shapefile(path, source.label, limit)
        text_encoding = shapefile_encoding(path, encoding, source.label)
        kwargs["encoding"] = text_encoding.codec
    elif source.driver == "CSV":
        path, text_encoding = _csv_as_utf8(path, work, source.label)
        csv_geometry, options, columns = _csv_options(path, source.label)
        records = scan_csv(path, source.label, max_vertices=limit, **columns)
        kwargs.update(options)
    elif source.driver == "GeoJSON":
        records = scan_geojson(path, source.label, limit)
    elif source.driver == "GeoJSONSeq":
        records = scan_geojson_seq(path, source.label, limit)
        path = _without_bom(path, work)
    elif source.driver == "GPKG":
        check_geopackage(path, source.label)
    elif source.driver == "FlatGeobuf":
        check_flatgeobuf(path, source.label)
    if records is not None and report is not None:
        records.apply(report)
    source = Source(path, source.driver, source.label)
    try:
        dataset = _describe(
            source, source_layer, kwargs, text_encoding, csv_geometry, records, limit
        )
        return _with_csv_types(dataset) if source.driver == "CSV" else dataset
    except InvalidUpload as exc:
        if report is None or report.accepted:
            raise
        report.error("file-unreadable", exc.message)  # after the scan's own findings
        raise InvalidUpload(report.summary(), details=report.as_dict()) from None


def _describe(source, source_layer, kwargs, text_encoding, csv_geometry, records, limit):
    layer = _choose_layer(source, source_layer, gdal_path(source))
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            info = pyogrio.read_info(
                gdal_path(source), layer=layer, force_feature_count=True, **kwargs
            )
    except Exception as exc:  # GDAL reports damaged files with several error types
        raise InvalidUpload(
            f"{source.label}: GDAL cannot read it as {source.driver}: "
            f"{scrub(str(exc), source)}; is the file complete?"
        ) from None
    return Dataset(
        source=source,
        layer=layer,
        feature_count=max(int(info["features"]), 0),
        crs=info["crs"],
        geometry_type=str(info["geometry_type"]),
        fields=[str(f) for f in info["fields"]],
        dtypes=[str(d) for d in info["dtypes"]],
        encoding=text_encoding,
        csv_geometry=csv_geometry,
        read_kwargs=kwargs,
        measured=any("Measured (M)" in str(w.message) for w in caught),
        records=records,
        max_vertices=limit,
    )


def _without_bom(path: Path, work: Path) -> Path:
    """Return a copy without its byte-order mark: GDAL's GeoJSONSeq skips that line."""
    with path.open("rb") as f:
        if f.read(3) != b"\xef\xbb\xbf":
            return path
        target = work / "nobom" / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("wb") as out:
            while chunk := f.read(1024 * 1024):
                out.write(chunk)
    return target


def _choose_layer(source: Source, wanted: str | None, gdal_path: str) -> str | None:
    try:
        names = [str(n) for n in pyogrio.list_layers(gdal_path)[:, 0]]
    except Exception as exc:  # GDAL reports damaged files with several error types
        raise InvalidUpload(
            f"{source.label}: cannot be opened as {source.driver} "
            f"({scrub(str(exc), source)}); is the file complete and of the format its "
            "name says?"
        ) from None
    if not names:
        raise InvalidUpload(f"{source.label}: the file holds no layer of features")
    if wanted and wanted in names:
        return wanted
    if wanted and source.driver in ("GPKG", "KML", "LIBKML"):
        raise InvalidParameter(f"{source.label}: no layer {wanted!r}; it has: {', '.join(names)}")
    if len(names) > 1:
        raise InvalidParameter(
            f"{source.label} holds {len(names)} layers ({', '.join(names)}); choose one "
            "with source_layer=<name>"
        )
    return names[0]


def iter_frames(dataset: Dataset, batch: int) -> Iterator[gpd.GeoDataFrame]:
    """Yield the dataset's features, ``batch`` at a time, indexed by file position.

    Shapefiles and GeoPackages have random access: GDAL seeks to the k-th feature,
    so each batch is read on its own (the leanest in memory: a 100 MB shapefile
    peaks ~30 MB lower than through Arrow). GeoJSON, KML, CSV and FlatGeobuf are
    read in one pass through GDAL's Arrow stream: skipping k x ``batch`` features
    would parse them again from the start for every batch (quadratic in size).
    Reading stops where GDAL stops, not at the count its metadata gave: the
    pipeline compares the two.
    """
    if dataset.source.driver in RANDOM_ACCESS:
        yield from _seek_frames(dataset, batch)
    else:
        yield from _stream_frames(dataset, batch)


def _stream_frames(dataset: Dataset, batch: int) -> Iterator[gpd.GeoDataFrame]:
    done = 0
    with ExitStack() as stack:
        with _damaged(dataset, done, batch), warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Measured")
            meta, reader = stack.enter_context(
                pyogrio.raw.open_arrow(
                    dataset.gdal_path,
                    layer=dataset.layer,
                    batch_size=batch,
                    use_pyarrow=True,
                    datetime_as_string=True,
                    **dataset.read_kwargs,
                )
            )
        while True:
            with _damaged(dataset, done, batch), warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # GDAL's, about skipped input
                record_batch = next(reader, None)
            if record_batch is None:
                return
            frame = arrow_frame(record_batch, meta, dataset, done)
            done += len(frame)
            yield frame


def empty_fields(dataset: Dataset, batch: int = 65_536) -> list[str]:
    """Return the dataset's columns that hold no value in any feature.

    A new layer leaves them out: GDAL gives every KML file eleven columns of its own
    (``Description``, ``altitudeMode``, ``tessellate``, ...), mostly empty. Only the
    attributes are read (no geometry), and reading stops once every column has
    shown a value. A file GDAL cannot read here is left to the main read, which
    reports it.
    """
    if not dataset.fields:
        return []
    unseen = set(dataset.fields)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with pyogrio.raw.open_arrow(
                dataset.gdal_path,
                layer=dataset.layer,
                batch_size=batch,
                use_pyarrow=True,
                read_geometry=False,
                columns=list(dataset.fields),
                datetime_as_string=True,
                **dataset.read_kwargs,
            ) as (_meta, reader):
                for record_batch in reader:
                    for name in list(unseen):
                        column = record_batch.column(name)
                        if column.null_count < len(column) and _has_text(column):
                            unseen.discard(name)
                    if not unseen:
                        break
    except (
        pyogrio.errors.DataSourceError,
        pyogrio.errors.DataLayerError,
        pyogrio.errors.FieldError,
        UnicodeDecodeError,
        OSError,
        ValueError,
        KeyError,
    ):
        return []  # the main read reports what is wrong with the file
    return [name for name in dataset.fields if name in unseen]


def _has_text(column) -> bool:
    """Tell whether a column holds a value other than an empty string."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not pa.types.is_string(column.type) and not pa.types.is_large_string(column.type):
        return True
    return bool(pc.any(pc.not_equal(pc.utf8_trim_whitespace(column), "")).as_py())


def _seek_frames(dataset: Dataset, batch: int) -> Iterator[gpd.GeoDataFrame]:
    done = 0
    while True:
        with _damaged(dataset, done, batch), warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Measured")
            meta, _fids, wkb, values = pyogrio.raw.read(
                dataset.gdal_path,
                layer=dataset.layer,
                skip_features=done,
                max_features=batch,
                **dataset.read_kwargs,
            )
        count = len(wkb) if wkb is not None else (len(values[0]) if len(values) else 0)
        if count == 0:
            return
        attrs = pd.DataFrame(dict(zip(meta["fields"], values, strict=True)))
        yield table_frame(attrs, wkb, meta.get("crs"), dataset, done)
        done += count
        if count < batch:
            return


@contextmanager
def _damaged(dataset: Dataset, done: int, batch: int) -> Iterator[None]:
    """Turn GDAL's errors on a damaged file into a message naming the features."""
    try:
        yield
    except GeoserviceError:
        raise
    except Exception as exc:
        if disk_full(exc):
            raise
        _damaged_file(dataset, done, batch, exc)


def _damaged_file(dataset: Dataset, done: int, batch: int, exc: Exception) -> None:
    """Raise the refusal of a file GDAL failed to read between features ``done``.."""
    last = done + batch - 1
    if dataset.feature_count > 0:
        last = min(last, dataset.feature_count - 1)
    where = f"{dataset.source.label}: features {done}..{last}"
    if isinstance(exc, UnicodeDecodeError):
        codec = dataset.encoding.codec.upper() if dataset.encoding else "UTF-8"
        raise InvalidUpload(
            f"{where} hold text that is not {codec} "
            f"({exc.object[exc.start : exc.start + 12]!r}); {_encoding_advice(exc, codec)} "
            "[rule encoding]"
        ) from None
    raise InvalidUpload(
        f"{where} could not be read: {scrub(str(exc), dataset.source)}; the file may be "
        "damaged or truncated: upload the complete file again"
    ) from None


def _encoding_advice(exc: UnicodeDecodeError, codec: str) -> str:
    """Say which encoding does decode the text, when a Chinese one does."""
    text = exc.object if isinstance(exc.object, bytes) else b""
    sample = text[max(0, exc.start - 24) : exc.start + 24]
    for candidate in ("gb18030", "big5"):
        if candidate.upper() == codec:
            continue
        decoded = _decode_part(sample, candidate)
        if decoded:
            name = "GBK/GB18030" if candidate == "gb18030" else "Big5"
            return (
                f"it decodes as {name} ({decoded[:12]!r}): upload again with "
                f"encoding={candidate.upper()} (or without encoding= if the .cpg names it)"
            )
    return "save the file as UTF-8 (or give the right encoding=)"


def _decode_part(sample: bytes, codec: str) -> str | None:
    """Decode ``sample`` (cut at arbitrary bytes) in ``codec``, or None if it is not that."""
    for start in range(4):
        for end in range(len(sample), max(len(sample) - 4, start), -1):
            try:
                text = sample[start:end].decode(codec)
            except UnicodeDecodeError:
                continue
            return text if any("\u4e00" <= ch <= "\u9fff" for ch in text) else None
    return None


def _csv_as_utf8(path: Path, work: Path, label: str) -> tuple[Path, TextEncoding]:
    if first_undecodable_text(path, "utf-8") is None:
        return path, TextEncoding("utf-8", "detected")
    if first_undecodable_text(path, "gb18030") is not None:
        raise InvalidUpload(
            f"{label}: the CSV is neither UTF-8 nor GBK/GB18030 text; save it as UTF-8 "
            "(Excel: 'CSV UTF-8') [rule encoding]"
        )
    target = work / "utf8.csv"
    with (
        path.open(encoding="gb18030", newline="") as src,
        target.open("w", encoding="utf-8", newline="") as out,
    ):
        while chunk := src.read(1024 * 1024):
            out.write(chunk)
    return target, TextEncoding("gb18030", "detected")


def first_undecodable_text(path: Path, codec: str) -> int | None:
    """Return the byte offset of the first text ``codec`` cannot decode, or None."""
    incremental = codecs.getincrementaldecoder(codec)()
    offset = 0
    with path.open("rb") as f:
        while chunk := f.read(1024 * 1024):
            try:
                incremental.decode(chunk)
            except UnicodeDecodeError as exc:
                return offset + exc.start
            offset += len(chunk)
    try:
        incremental.decode(b"", final=True)
    except UnicodeDecodeError:
        return offset
    return None


def _with_csv_types(dataset: Dataset) -> Dataset:
    """Give a CSV's text columns the types their values fit (see :mod:`csvtypes`)."""
    text = [f for f, d in zip(dataset.fields, dataset.dtypes, strict=True) if d == "object"]
    kinds = infer_csv_types(dataset.source.path, text)
    dtypes = [
        DTYPE_OF[kinds[f]] if d == "object" else d
        for f, d in zip(dataset.fields, dataset.dtypes, strict=True)
    ]
    return replace(dataset, dtypes=dtypes, inferred_types=kinds)


def _csv_options(path: Path, label: str) -> tuple[str, dict[str, str], dict[str, Any]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        header = next(csv.reader(f), [])
    lowered = {h.strip().lower(): h.strip() for h in header}
    lon = next((lowered[n] for n in LON_NAMES if n in lowered), None)
    lat = next((lowered[n] for n in LAT_NAMES if n in lowered), None)
    wkt = next((lowered[n] for n in WKT_NAMES if n in lowered), None)
    if lon and lat:
        options = {"X_POSSIBLE_NAMES": lon, "Y_POSSIBLE_NAMES": lat}
        columns = {"lonlat": (lon, lat), "wkt": None}
        return "lonlat", {**options, "KEEP_GEOM_COLUMNS": "NO"}, columns
    if wkt:
        columns = {"lonlat": None, "wkt": wkt}
        return "wkt", {"GEOM_POSSIBLE_NAMES": wkt, "KEEP_GEOM_COLUMNS": "NO"}, columns
    raise InvalidUpload(
        f"{label}: the CSV has no coordinate columns (found: {', '.join(header[:12])}); "
        f"name them lon/lat (or {', '.join(LON_NAMES[:4])} / {', '.join(LAT_NAMES[:3])}) "
        f"or give a WKT column named {' or '.join(WKT_NAMES[:2])}"
    )
