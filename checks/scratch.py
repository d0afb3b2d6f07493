"""The repository's scratch folder (.ops-cache/): caches and locks, never committed."""

from __future__ import annotations

from pathlib import Path

SCRATCH = ".ops-cache"


def scratch_dir(root: Path) -> Path:
    """``root/.ops-cache``, created with a .gitignore of its own so it never shows in git status."""
    path = root / SCRATCH
    path.mkdir(parents=True, exist_ok=True)
    gitignore = path / ".gitignore"
    if not gitignore.exists():
        gitignore.write_text("# created by ops: caches and locks\n*\n", encoding="utf-8")
    return path
