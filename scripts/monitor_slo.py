#!/usr/bin/env python3
"""Write the weekly SLO report: the same as `ops slo` (run it with --help for the options).

scripts/monitor_slo.py --project checkout [--week 2026-W47 | --weeks 2026-W40..2026-W47]
    [--source prometheus|file|mock] [--post] [--root DIR]
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout, too

from checks.main import script


def main(argv: Sequence[str] | None = None) -> int:
    return script("slo", argv)


if __name__ == "__main__":
    raise SystemExit(main())
