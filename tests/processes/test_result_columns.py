"""Result columns keep the same names in every process: a restart must not rename them."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import ROOT

PROGRAM = (
    "from geoservice.processes.outputs import _column_name;"
    "print(_column_name('覆盖率'), _column_name('share 10 min'), _column_name('1st'))"
)


def test_column_names_do_not_depend_on_the_process_hash_seed():
    names = {
        subprocess.run(
            [sys.executable, "-c", PROGRAM],
            env={**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(ROOT)},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2", "3")
    }
    assert len(names) == 1
    chinese, spaced, leading_digit = names.pop().split()
    assert chinese.startswith("c_") and (spaced, leading_digit) == ("share_10_min", "c_1st")
