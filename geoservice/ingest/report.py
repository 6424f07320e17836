"""The validation report of an upload: what was read, what is wrong, what was repaired.

Every finding names the file, the rule and, when it concerns one feature, where
a person finds it: the line of a text file (CSV, GeoJSON sequence; 1-based, as
an editor counts), the record of a shapefile (1-based, as the .dbf counts) or
the feature's index in a GeoJSON/GeoPackage/FlatGeobuf/KML (0-based), plus its
key value, so a GIS technician can find it in QGIS, ArcGIS or a text editor.
Findings are grouped per rule and capped, so a file with a million bad features
still gives a short, readable report.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

Severity = Literal["error", "warning", "repair"]
MAX_LISTED_PER_RULE = 20


@dataclass(frozen=True)
class Locator:
    """How a person finds the feature at a file position: its line, record or index.

    ``numbers[position]`` is the line (text formats) or record (shapefiles)
    holding the feature GDAL read at ``position``; without ``numbers`` a record
    is ``position + 1`` and a feature index is the position itself.
    """

    unit: Literal["feature", "line", "record"] = "feature"
    numbers: np.ndarray | None = None

    def place(self, position: int) -> tuple[str, int]:
        """Return (unit, number) of the feature read at ``position``."""
        if self.numbers is not None and 0 <= position < len(self.numbers):
            return self.unit, int(self.numbers[position])
        if self.unit == "record":
            return "record", position + 1
        return "feature", position

    def text(self, position: int) -> str:
        """Return e.g. 'line 502', 'record 3' or 'feature 0'."""
        unit, number = self.place(position)
        return f"{unit} {number}"


@dataclass(frozen=True)
class Finding:
    """One problem, warning or repair, optionally about one feature or one line."""

    rule: str
    message: str
    severity: Severity = "error"
    feature: int | None = None  # position in the file (0-based), when GDAL read it
    key: Any = None
    place: tuple[str, int] | None = None  # ("line", 502), ("record", 3), ("feature", 0)

    def text(self, file: str) -> str:
        """Return the one-line form: file, line/record/feature, message and rule."""
        where = file
        place = self.place or (("feature", self.feature) if self.feature is not None else None)
        if place is not None:
            where += f", {place[0]} {place[1]}"
            if self.key is not None:
                where += f" (key {self.key!r})"
        return f"{where}: {self.message} [rule {self.rule}]"

    def as_dict(self) -> dict[str, Any]:
        """Return the JSON form."""
        out: dict[str, Any] = {"rule": self.rule, "message": self.message}
        if self.feature is not None:
            out["feature"] = self.feature
        if self.place is not None and self.place[0] != "feature":
            out[self.place[0]] = self.place[1]
        if self.key is not None:
            out["key"] = self.key
        return out


@dataclass
class IngestReport:
    """What an upload contains and what was found; mutable while the upload is read."""

    file: str
    layer: str
    mode: str = "replace"
    dry_run: bool = False
    format: str | None = None
    source_layer: str | None = None
    encoding: dict[str, str] | None = None
    crs: dict[str, Any] = field(default_factory=dict)
    coordinate_system: str = "wgs84"
    feature_count: int = 0
    geometry_types: Counter = field(default_factory=Counter)
    bounds: list[float] | None = None
    findings: list[Finding] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)
    version: dict[str, Any] | None = None
    locator: Locator = field(default_factory=Locator)
    # on_error=skip: a problem of one feature rejects that feature, not the upload.
    skip_rejected: bool = False
    rejected: dict[int, Finding] = field(default_factory=dict)  # position -> first problem
    rejected_file: dict[str, Any] | None = None  # where the rejected features can be fetched
    suggested_field_map: dict[str, str] | None = None  # columns that look like attributes
    field_map: dict[str, Any] | None = None  # the mapping applied and where it came from
    preview_token: str | None = None  # names the dry run's preview map
    preview: dict[str, Any] = field(
        default_factory=lambda: {"type": "FeatureCollection", "features": []}
    )  # a dry run's first features as they would be stored

    def add(self, finding: Finding) -> None:
        """Record a finding; beyond the cap per rule only the count grows."""
        key = (finding.severity, finding.rule)
        self.counts[key] += 1
        if self.counts[key] <= MAX_LISTED_PER_RULE:
            self.findings.append(finding)

    def error(self, rule: str, message: str, feature: int | None = None, key: Any = None) -> None:
        """Record a problem that refuses the upload (with on_error=skip, that rejects the
        feature when the problem is one feature's)."""
        if self.skip_rejected and feature is not None:
            finding = self._finding(rule, message, "error", feature, key)
            self.rejected.setdefault(int(feature), finding)
            self.counts[("rejected", rule)] += 1
            return
        self.add(self._finding(rule, message, "error", feature, key))

    def warn(self, rule: str, message: str, feature: int | None = None, key: Any = None) -> None:
        """Record something worth checking that does not refuse the upload."""
        self.add(self._finding(rule, message, "warning", feature, key))

    def repaired(self, rule: str, message: str, feature: int | None = None, key: Any = None):
        """Record a change made to the data (e.g. make_valid)."""
        self.add(self._finding(rule, message, "repair", feature, key))

    def error_at(
        self, rule: str, message: str, place: tuple[str, int], severity: Severity = "error"
    ) -> None:
        """Record a finding about a line or record GDAL does not read (it has no position)."""
        self.add(Finding(rule, message, severity, place=place))

    def place(self, position: int) -> str:
        """Return where a person finds the feature read at ``position`` ('line 502')."""
        return self.locator.text(position)

    def _finding(self, rule, message, severity: Severity, feature, key) -> Finding:
        place = self.locator.place(feature) if feature is not None else None
        return Finding(rule, message, severity, feature, key, place)

    def has(self, rule: str) -> bool:
        """Tell whether a finding of ``rule`` was recorded."""
        return any(r == rule for (_, r) in self.counts)

    def of(self, severity: Severity) -> list[Finding]:
        """Return the listed findings of one severity."""
        return [f for f in self.findings if f.severity == severity]

    @property
    def error_count(self) -> int:
        """Return how many errors were found (listed or not)."""
        return sum(n for (sev, _), n in self.counts.items() if sev == "error")

    @property
    def accepted(self) -> bool:
        """Tell whether the upload may be stored."""
        return self.error_count == 0

    def summary(self, limit: int = 5) -> str:
        """Return a message naming the first problems, for the HTTP error body."""
        errors = self.of("error")
        lines = [f.text(self.file) for f in errors[:limit]]
        more = self.error_count - len(lines)
        head = f"upload of {self.file!r} to {self.layer!r} refused: {self.error_count} problem(s)"
        tail = [f"... and {more} more (see details.errors)"] if more > 0 else []
        return "\n".join([head, *lines, *tail])

    def as_dict(self) -> dict[str, Any]:
        """Return the JSON report."""
        per_rule = {
            sev: {rule: n for (s, rule), n in sorted(self.counts.items()) if s == sev}
            for sev in ("error", "warning", "repair", "rejected")
        }
        return {
            "file": self.file,
            "layer": self.layer,
            "mode": self.mode,
            "dry_run": self.dry_run,
            "accepted": self.accepted,
            "format": self.format,
            "source_layer": self.source_layer,
            "encoding": self.encoding,
            "crs": self.crs,
            "coordinate_system": self.coordinate_system,
            "feature_count": self.feature_count,
            "geometry_types": dict(self.geometry_types),
            "bounds": self.bounds,
            "errors": [f.as_dict() for f in self.of("error")],
            "warnings": [f.as_dict() for f in self.of("warning")],
            "repairs": [f.as_dict() for f in self.of("repair")],
            "counts": per_rule,
            "version": self.version,
            **({"field_map": self.field_map} if self.field_map else {}),
            **(
                {"suggested_field_map": self.suggested_field_map}
                if self.suggested_field_map
                else {}
            ),
            **self._rejected_dict(),
            **({"preview": self.preview} if self.dry_run else {}),
        }

    def _rejected_dict(self) -> dict[str, Any]:
        if not self.skip_rejected:
            return {}
        listed = sorted(self.rejected.items())[: MAX_LISTED_PER_RULE * 5]
        return {
            "on_error": "skip",
            "rejected_count": len(self.rejected),
            "stored_count": self.feature_count - len(self.rejected),
            "rejected": [f.as_dict() for _, f in listed],
            "rejected_file": self.rejected_file,
        }
