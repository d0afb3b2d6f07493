#!/usr/bin/env python3
"""Write the retro calendar and the placeholder documents: the same as `ops retros`.

Run it with --help for the options.

scripts/schedule_retros.py --project checkout [--horizon-weeks 8] [--as-of 2026-11-24]
    [--root DIR]
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout, too

from checks.main import script


def main(argv: Sequence[str] | None = None) -> int:
    return script("retros", argv)


if __name__ == "__main__":
    raise SystemExit(main())
