"""What the serving tests' handlers did, for a test in another process to read.

Each event is one JSON line appended to the file SERVING_JOURNAL names, stamped with
`time.monotonic()`: on Linux one clock for every process of the machine, so a test can
measure how long after its client vanished the server's handler saw the cancellation.
"""

from __future__ import annotations

import json
import os
import time


def record(label: str, event: str) -> None:
    path = os.environ.get("SERVING_JOURNAL")
    if path:
        line = json.dumps({"label": label, "event": event, "at": time.monotonic()})
        with open(path, "a", encoding="utf-8") as journal:
            journal.write(line + "\n")
