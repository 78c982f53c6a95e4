"""The deployment tests use two helpers of other test folders: the npm peers' runner
(tests/peers) and the tasks extension's client side (tests/runtime). pytest puts a folder
on sys.path only when it collects tests there, so they are put there for these tests."""

from __future__ import annotations

import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent
for folder in ("peers", "runtime"):
    if str(TESTS / folder) not in sys.path:
        sys.path.append(str(TESTS / folder))
