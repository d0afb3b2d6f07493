#!/usr/bin/env python3
"""Write the schema reference, docs/reference/*.md, from schemas/*.schema.json.

scripts/schema_docs.py [--check] [--out DIR]

One page per schema (checks.schemadoc) and an index, README.md. With --check nothing is written:
each page that is missing or differs from what the schemas give is named, and the exit code is 1.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout, too

from checks import atomic, schemadoc, schemas

REPO = Path(__file__).resolve().parent.parent
DEFAULT_OUT = "docs/reference"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="schema_docs.py",
        description="Write the reference pages of the JSON Schemas (one per schemas/*.schema.json, "
        "and an index) to docs/reference/.",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 naming each page that is out of date",
    )
    parser.add_argument(
        "--out",
        metavar="DIR",
        help=f"the folder of the pages (default: {DEFAULT_OUT}/ of this checkout)",
    )
    args = parser.parse_args(argv)
    out = Path(args.out) if args.out else REPO / DEFAULT_OUT
    shown = Path(args.out) if args.out else Path(DEFAULT_OUT)
    again = "python scripts/schema_docs.py" + (f" --out {args.out}" if args.out else "")
    pages = schemadoc.pages(schemas.load_all())
    stale = sorted(
        p.name for p in (out.glob("*.md") if out.is_dir() else ()) if p.name not in pages
    )
    if args.check:
        problems = 0
        for name, text in pages.items():
            path = out / name
            try:
                current = path.read_bytes()
            except OSError:
                current = None
            if current != text.encode("utf-8"):
                print(f"{(shown / name).as_posix()} is out of date; run {again}")
                problems += 1
        for name in stale:
            print(f"{(shown / name).as_posix()} is generated from no schema; remove it")
            problems += 1
        if not problems:
            print(f"{len(pages)} pages in {shown.as_posix()}/ are up to date")
        return 1 if problems else 0
    written = 0
    for name, text in pages.items():
        if atomic.write_bytes(out / name, text.encode("utf-8")):  # a temporary file, os.replace
            print(f"{(shown / name).as_posix()}: written")
            written += 1
    for name in stale:
        print(f"{(shown / name).as_posix()} is generated from no schema; remove it")
    print(f"{written} of {len(pages)} pages written, {len(pages) - written} unchanged")
    return 1 if stale else 0


if __name__ == "__main__":
    raise SystemExit(main())
