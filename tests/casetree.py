"""Data-driven cases: a base tree, a case's overlay, its arguments and what a user sees.

Inputs that cannot live in git as files (a 50 MB file, a symlink out of the repository, raw
bytes, a pipe) are made from a case's ``generate:`` entries:

- ``{kind: text, path, parts, encoding, newline}``: ``parts`` are strings or
  ``{repeat, times}`` (with ``numbered: true``, ``{i}`` in ``repeat`` counts from 0), joined,
  their line ends replaced, encoded (default UTF-8, ``\n``);
- ``{kind: bytes, path, hex}``: raw bytes; ``path_hex`` instead of ``path`` names the file by
  its bytes (a name that is not UTF-8);
- ``{kind: big-file, path, size_mb}``: a ``---`` line, then zeros up to the size (sparse);
- ``{kind: symlink, path, target}``, ``{kind: fifo, path}``, ``{kind: dir, path}``;
- ``{kind: copy, path, source}``: a file of the tree copied elsewhere in it.

``{outside}`` in a path or a target is a folder next to the repository, holding a copy of the
base project: where a symlink can lead out of the repository, and where nothing may change.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, NamedTuple

import yaml

DATA = Path(__file__).parent / "data"
BASE = DATA / "validate" / "_base"
MiB = 1024 * 1024


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


def _part(part: str | dict[str, Any]) -> str:
    if isinstance(part, str):
        return part
    if part.get("numbered"):  # "k{i}: 1\n" times 3 -> k0, k1, k2
        return "".join(part["repeat"].replace("{i}", str(i)) for i in range(part["times"]))
    return str(part["repeat"] * part["times"])


def _text(spec: dict[str, Any]) -> bytes:
    parts = (_part(p) for p in spec["parts"])
    text = "".join(parts).replace("\n", spec.get("newline", "\n"))
    return text.encode(spec.get("encoding", "utf-8"))


def generate(spec: dict[str, Any], root: Path, outside: Path) -> None:
    if "path_hex" in spec:
        path = Path(os.fsdecode(bytes(root) + b"/" + bytes.fromhex(spec["path_hex"])))
    else:
        path = root / spec["path"].replace("{outside}", str(outside))
    path.parent.mkdir(parents=True, exist_ok=True)
    kind = spec["kind"]
    if kind == "text":
        path.write_bytes(_text(spec))
    elif kind == "bytes":
        path.write_bytes(bytes.fromhex(spec["hex"]))
    elif kind == "big-file":
        with open(path, "wb") as f:
            f.write(b"---\n")
            f.truncate(spec["size_mb"] * MiB)
    elif kind == "symlink":
        path.symlink_to(spec["target"].replace("{outside}", str(outside)))
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "dir":
        path.mkdir()
    elif kind == "copy":
        shutil.copy(root / spec["source"], path)
    else:
        raise ValueError(f"unknown generate kind {kind!r}")


def make_repo(case: Case, tmp_path: Path) -> tuple[Path, Path]:
    """The case's repository and, next to it, the folder its symlinks may point into."""
    outside = tmp_path / "outside"
    shutil.copytree(BASE / "ops" / "shop", outside / "shop")
    root = build_tree(case, BASE, tmp_path / "repo")
    for spec in case.spec.get("generate", []):
        generate(spec, root, outside)
    return root, outside


class Child(NamedTuple):
    code: int
    out: str
    err: str
    peak: int  # the child's largest resident set, in bytes


# The peak is VmHWM, the high-water mark of this process's own memory (ru_maxrss survives
# execve on Linux, so a child started by a large test process would report the parent's
# peak), or that of its largest worker process, whichever is larger.
_PROBE = (
    "import resource, sys\n"
    "from checks.main import main\n"
    "code = main(sys.argv[1:])\n"
    "hwm = [l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM:')][0]\n"
    "workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
    "sys.stderr.write(f'\\nmaxrss={max(int(hwm), workers)}\\n')\n"
    "sys.exit(code)\n"
)


def run_child(
    root: Path, argv: list[str], env: dict[str, str] | None = None, timeout: float = 60
) -> Child:
    """``ops argv`` in a fresh process at ``root``: its exit code, output and peak memory. A
    child that outlives ``timeout`` seconds fails the test (subprocess.TimeoutExpired)."""
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, *argv],
        cwd=root,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=timeout,
    )
    err, _, maxrss = done.stderr.rpartition("\nmaxrss=")
    return Child(done.returncode, done.stdout, err, int(maxrss) * 1024)  # Linux: kilobytes
