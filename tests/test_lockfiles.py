"""Lockfile parsers: golden readings of each format's fixtures, the updates between a
before/after pair, and bad input refused with the place where it stopped matching."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from checks import lockfiles
from checks.lockfiles.diff import NOT_COMPARABLE, Update, change, diff

DATA = Path(__file__).parent / "data" / "lockfiles"
FORMATS = sorted(p for p in DATA.iterdir() if p.is_dir() and not p.name.startswith("_"))
BAD = sorted(p for p in (DATA / "_bad").iterdir() if p.is_dir())


def _read(path: Path) -> lockfiles.Versions:
    module = lockfiles.format_for(path.name)
    assert module is not None, path
    return lockfiles.read(module, path.read_bytes())


def _shown(versions: lockfiles.Versions) -> dict[str, list[str]]:
    return {f"{eco}:{name}": sorted(found) for (eco, name), found in sorted(versions.items())}


@pytest.mark.parametrize("folder", [pytest.param(p, id=p.name) for p in FORMATS])
def test_each_format_reads_its_golden_versions(folder: Path) -> None:
    golden = json.loads((folder / "golden.json").read_text())
    assert _shown(_read(folder / "before" / golden["file"])) == golden["before"]
    assert _shown(_read(folder / "after" / golden["file"])) == golden["after"]


@pytest.mark.parametrize("folder", [pytest.param(p, id=p.name) for p in FORMATS])
def test_each_pair_gives_its_golden_updates(folder: Path) -> None:
    golden = json.loads((folder / "golden.json").read_text())
    before = _read(folder / "before" / golden["file"])
    after = _read(folder / "after" / golden["file"])
    found = [[u.ecosystem, u.package, u.old, u.new, u.change] for u in diff(before, after)]
    assert found == golden["updates"]


@pytest.mark.parametrize("folder", [pytest.param(p, id=p.name) for p in FORMATS])
def test_each_fixture_says_where_it_comes_from(folder: Path) -> None:
    assert "http" in (folder / "SOURCE.md").read_text()


@pytest.mark.parametrize("case", [pytest.param(p, id=p.name) for p in BAD])
def test_bad_input_is_refused_with_its_place(case: Path) -> None:
    expected = json.loads((case / "expected.json").read_text())
    with pytest.raises(lockfiles.FormatError) as caught:
        _read(case / expected["file"])
    assert (caught.value.line, caught.value.message) == (expected["line"], expected["message"])


def test_a_file_over_the_bound_is_not_parsed() -> None:
    module = lockfiles.format_for("Cargo.lock")
    assert module is not None
    with pytest.raises(lockfiles.FormatError, match="larger than 64 MiB"):
        lockfiles.read(module, b" " * (lockfiles.MAX_BYTES + 1))


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        pytest.param("requirements.txt", "requirements", id="requirements"),
        pytest.param("requirements-dev.txt", "requirements", id="requirements-dev"),
        pytest.param("svc/requirements/prod.txt", "requirements", id="requirements-folder"),
        pytest.param("web/package-lock.json", "npm", id="nested-npm"),
        pytest.param("npm-shrinkwrap.json", "npm", id="shrinkwrap"),
        pytest.param("go.sum", None, id="go-sum-not-read"),
        pytest.param("package.json", None, id="manifest-not-read"),
        pytest.param("notes.txt", None, id="other-text"),
        pytest.param("poetry.lock.bak", None, id="backup"),
    ],
)
def test_only_lockfile_names_are_read(path: str, expected: str | None) -> None:
    module = lockfiles.format_for(path)
    assert (module.__name__.rsplit(".", 1)[1] if module else None) == expected


@pytest.mark.parametrize(
    ("ecosystem", "old", "new", "expected"),
    [
        pytest.param("pypi", "2.31.0", "3.0.0", ("major", None), id="pypi-major"),
        pytest.param("pypi", "2.31.0", "2.32.3", ("minor", None), id="pypi-minor"),
        pytest.param("pypi", "3.6", "3.6.1", ("patch", None), id="pypi-short-release"),
        pytest.param("pypi", "1.0.0rc1", "1.0.0", ("patch", None), id="pypi-pre-release"),
        pytest.param("pypi", "1!1.0", "2.0", ("major", None), id="pypi-epoch"),
        pytest.param("npm", "4.17.21", "4.17.20", ("patch", None), id="downgrade-is-a-step"),
        pytest.param("go", "v1.18.0", "v2.0.0+incompatible", ("major", None), id="go"),
        pytest.param(
            "go",
            "v0.0.0-20231201170936-a6cf59c6a5b3",
            "v0.0.0-20240112103309-1d36ad3da6b6",
            ("patch", None),
            id="go-pseudo-version",
        ),
        pytest.param(
            "pypi", "git+https://x/y@1a2b", "1.0", ("major", NOT_COMPARABLE), id="not-comparable"
        ),
    ],
)
def test_change_kind(ecosystem: str, old: str, new: str, expected: tuple[str, str | None]) -> None:
    assert change(ecosystem, old, new) == expected


def test_several_versions_pair_off_in_order() -> None:
    key = ("cargo", "syn")
    before = {key: frozenset({"1.0.109", "2.0.48"})}
    after = {key: frozenset({"2.0.52", "3.0.1", "1.0.109"})}
    assert diff(before, after) == [
        Update("cargo", "syn", "2.0.48", "2.0.52", "patch"),
        Update("cargo", "syn", None, "3.0.1", "added"),
    ]


def test_added_and_removed_packages() -> None:
    before = {("npm", "left-pad"): frozenset({"1.3.0"})}
    after = {("npm", "lodash"): frozenset({"4.17.21"})}
    assert diff(before, after) == [
        Update("npm", "left-pad", "1.3.0", None, "removed"),
        Update("npm", "lodash", None, "4.17.21", "added"),
    ]


def _parse_in_child(text: str, name: str) -> str:
    """``text`` read as ``name`` in a child process, with a generous timeout as a hang guard:
    what it printed (the pins, or the FormatError's line and message)."""
    code = (
        "import sys\n"
        "from checks import lockfiles\n"
        f"module = lockfiles.format_for({name!r})\n"
        "try:\n"
        "    found = lockfiles.read(module, sys.stdin.buffer.read())\n"
        "    print(sorted(found))\n"
        "except lockfiles.FormatError as e:\n"
        "    print(e.line, e.message)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        input=text.encode(),
        capture_output=True,
        timeout=120,  # a hang guard, not a timing: linear reading takes well under a second
        check=True,
        cwd=Path(__file__).parent.parent,
    )
    return done.stdout.decode().strip()


def test_requirements_lines_of_white_space_are_read_in_one_pass() -> None:
    # 60,000 spaces with no '#' after them: a regular expression for comments, (^|\s+)#.*$,
    # tries every start in the run, about 10 seconds a line; 40 such lines, over the guard.
    lines = [f"pkg{i}==1.0.{i}" + " " * 60_000 + "--hash=sha256:ab\n" for i in range(40)]
    found = _parse_in_child("".join(lines), "requirements.txt")
    assert found.startswith("[('pypi', 'pkg0'), ('pypi', 'pkg1'), ")


def test_requirements_option_after_white_space_is_found_in_one_pass() -> None:
    # The same for options, \s+--?[A-Za-z].*$: spaces, then a word that is no option.
    lines = [f"pkg{i}==1.0.{i}" + " " * 60_000 + "; python_version>'3'\n" for i in range(40)]
    assert _parse_in_child("".join(lines), "requirements.txt").startswith("[('pypi', 'pkg0')")


def test_requirements_continued_lines_are_capped() -> None:
    # 100,000 continuation lines: one logical line of 300,000 characters, refused at its start.
    text = "flask==2.0.0\n" + "  \\\n" * 100_000 + "idna==3.7\n"
    assert _parse_in_child(text, "requirements.txt") == (
        "2 a line longer than 64 KiB (with the lines continued from it by a trailing \\); "
        "pip-compile writes none: is this a requirements file?"
    )


def test_requirements_one_long_line_is_refused_at_its_line() -> None:
    module = lockfiles.format_for("requirements.txt")
    assert module is not None
    data = b"idna==3.7\n# comment\nflask==2.0.0 # " + b"x" * 70_000 + b"\n"
    with pytest.raises(lockfiles.FormatError) as caught:
        lockfiles.read(module, data)
    assert caught.value.line == 3
    assert caught.value.message.startswith("a line longer than 64 KiB")


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        pytest.param("flask==2.0.0  # via app", [("flask", "2.0.0")], id="comment"),
        pytest.param("flask==2.0.0#egg", None, id="hash-sign-in-a-word-is-no-comment"),
        pytest.param("flask==2.0.0 \t--hash=sha256:ab", [("flask", "2.0.0")], id="hash"),
        pytest.param("typing-extensions==4.0 -C x", [("typing-extensions", "4.0")], id="-C"),
        pytest.param("# only a comment", [], id="comment-line"),
    ],
)
def test_requirements_comments_and_options_as_pip_reads_them(
    line: str, expected: list[tuple[str, str]] | None
) -> None:
    from checks.lockfiles import requirements

    if expected is None:
        with pytest.raises(lockfiles.FormatError, match="not a requirement"):
            requirements.parse(line + "\n")
    else:
        assert requirements.parse(line + "\n") == expected


def test_a_large_pnpm_lockfile_with_a_star_is_read() -> None:
    """A '*' (workspace:*) makes yamlload look for alias bombs: a lockfile has its own bound."""
    parts = [
        "lockfileVersion: '9.0'\n\nimporters:\n  .:\n    dependencies:\n      app:\n"
        "        specifier: workspace:*\n        version: link:app\n\npackages:\n"
    ]
    parts += [
        f"  p{i}@1.0.{i}:\n    resolution: {{integrity: sha512-{i}}}\n" for i in range(12_000)
    ]
    parts += ["snapshots:\n"]
    parts += [f"  p{i}@1.0.{i}:\n    dependencies:\n      d: 1.0.0\n" for i in range(12_000)]
    module = lockfiles.format_for("pnpm-lock.yaml")
    assert module is not None
    assert len(lockfiles.read(module, "".join(parts).encode())) == 12_000
