"""Data-driven cases: a base tree, a case's overlay, its arguments and what a user sees."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any, NamedTuple

import yaml

DATA = Path(__file__).parent / "data"


class Case(NamedTuple):
    name: str
    folder: Path
    spec: dict[str, Any]


def load_cases(group: str) -> list[Case]:
    cases = []
    for spec_file in sorted((DATA / group).glob("*/case.yaml")):
        spec = yaml.safe_load(spec_file.read_text(encoding="utf-8"))
        cases.append(Case(spec_file.parent.name, spec_file.parent, spec))
    return cases


def build_tree(case: Case, base: Path, dest: Path) -> Path:
    """Copy ``base``, lay the case's ``tree/`` over it, remove what it deletes."""
    shutil.copytree(base, dest, symlinks=True)
    overlay = case.folder / "tree"
    if overlay.is_dir():
        shutil.copytree(overlay, dest, dirs_exist_ok=True, symlinks=True)
    for rel in case.spec.get("delete", []):
        target = dest / rel
        if target.is_dir():
            shutil.rmtree(target)
        else:
            target.unlink()
    return dest


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file's bytes (symlinks as their target text), to prove nothing changed."""
    out: dict[str, bytes] = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_symlink():
            out[rel] = b"-> " + str(path.readlink()).encode()
        elif path.is_file():
            out[rel] = path.read_bytes()
    return out
