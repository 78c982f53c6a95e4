"""The HTTP soak (tests/benchmarks/soak_http.py) at full size, as a test: it must pass.

1,000 calls from 50 concurrent clients on loopback, a fifth cancelled mid-way, three clients
killed mid-call; the script checks that every other call is answered, that the server keeps
serving, that its tasks, sessions, handlers, descriptors and memory return to baseline, and
that its log holds no error.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

SOAK = Path(__file__).resolve().parent / "benchmarks" / "soak_http.py"


@pytest.mark.slow
def test_the_http_soak_passes_every_check() -> None:
    done = subprocess.run(
        [sys.executable, str(SOAK)], capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    passed = re.search(r"^(\d+)/(\d+) checks passed", done.stdout, re.MULTILINE)
    assert passed is not None and passed[1] == passed[2], done.stdout
