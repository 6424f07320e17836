"""What a file's own structure says about its records, found before GDAL reads it.

GDAL skips what it cannot parse without a word: a GeoJSON sequence line that is
not JSON, the half line of a file cut short, a GeoJSON member that is not a
Feature, a CSV row with a field missing, the shapefile records one of its three
files lacks. A scanner reads the file's structure itself (cheaply: no geometry
is built), lists every record it cannot use with the line or record number a
person counts, and tells how many features GDAL must return; the pipeline then
refuses a file GDAL read fewer (or more) features from.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from geoservice.errors import InvalidUpload
from geoservice.ingest.report import IngestReport, Locator

Unit = Literal["feature", "line", "record"]


@dataclass(frozen=True)
class Problem:
    """A record that cannot be used as it is: where it is, the rule and what to do."""

    number: int | None  # line (text), record (shapefile), feature index; None: the file
    rule: str
    message: str


@dataclass(frozen=True)
class RowProblem:
    """A feature GDAL read whose content could not be taken as it is.

    ``repairable`` problems (a ring that is not closed) come with the repaired
    value in the frame; the pipeline keeps it when repairs are allowed, else
    refuses the feature.
    """

    position: int
    rule: str
    message: str
    repairable: bool = False


@dataclass
class Records:
    """The usable records of a file, in file order, and the problems of the others.

    ``numbers[k]`` is the line/record/index of the k-th usable record, the one
    GDAL returns at position k. ``hints`` explain, per position, why a record
    will come out without a geometry (a CSV ``lon`` that is not a number).
    ``fatal`` means GDAL cannot read the file at all (GeoJSON that is not JSON,
    text that is not UTF-8): the upload is refused with these problems at once.
    """

    unit: Unit
    numbers: array | np.ndarray = field(default_factory=lambda: array("q"))  # 8 bytes each
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    hints: dict[int, str] = field(default_factory=dict)
    fatal: bool = False

    def usable(self, number: int, hint: str | None = None) -> None:
        """Record that the record at line/record/index ``number`` reaches GDAL, with a
        note (``hint``) explaining what GDAL may make of it."""
        if hint:
            self.hints[len(self.numbers)] = hint
        self.numbers.append(number)

    @property
    def count(self) -> int:
        """Return how many records GDAL must return."""
        return len(self.numbers)

    def locator(self) -> Locator:
        """Return the locator turning GDAL positions into these lines/records."""
        if not isinstance(self.numbers, np.ndarray):  # once, when the scan is over
            self.numbers = np.frombuffer(self.numbers, dtype=np.int64).astype(np.int32)
        return Locator(self.unit, self.numbers)

    def problem(self, number: int | None, rule: str, message: str) -> None:
        """Record a record that cannot be used."""
        self.problems.append(Problem(number, rule, message))

    def warning(self, number: int, rule: str, message: str) -> None:
        """Record something about a record worth checking that does not refuse it."""
        self.warnings.append(Problem(number, rule, message))

    def apply(self, report: IngestReport) -> None:
        """Put the problems in the report; refuse at once when the file is unreadable."""
        report.locator = self.locator()
        for p in self.problems:
            if p.number is None:
                report.error(p.rule, p.message)
            else:
                report.error_at(p.rule, p.message, (self.unit, p.number))
        for w in self.warnings:
            report.error_at(w.rule, w.message, (self.unit, w.number), severity="warning")
        if self.fatal:
            raise InvalidUpload(report.summary(), details=report.as_dict())


def check_count(report: IngestReport, *, read: int, expected: int, what: str) -> None:
    """Record an error when GDAL returned another number of features than the file holds.

    ``what`` says where ``expected`` comes from ("records in the file", "features
    the FlatGeobuf header declares", ...).
    """
    if read == expected:
        return
    if read < expected:
        report.error(
            "file-truncated",
            f"only {read:,} of the {expected:,} {what} could be read: the file is "
            "truncated or damaged (an interrupted download or copy?); upload the "
            "complete file again",
        )
    else:
        report.error(
            "file-damaged",
            f"{read:,} features were read, more than the {expected:,} {what}: the file "
            "contradicts itself; export it again from the GIS",
        )
