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

from checks.main import main as ops_main


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    root = [a for a in args if a == "--root" or a.startswith("--root=")]
    if root:  # --root belongs before the subcommand
        i = args.index(root[0])
        moved = args[i : i + (1 if "=" in root[0] else 2)]
        del args[i : i + len(moved)]
        return ops_main([*moved, "slo", *args])
    return ops_main(["slo", *args])


if __name__ == "__main__":
    raise SystemExit(main())
