"""Go's ``go.mod``: the ``require`` directives give the selected version of every module
(direct and, since Go 1.17, indirect ones).

go.mod has its own grammar; its maintained parser is ``golang.org/x/mod/modfile``, in Go,
and no maintained Python package reads it, so the part ops needs is written out here:
``verb args`` lines and ``verb ( ... )`` blocks, ``//`` comments. ``go.sum`` is not read:
it holds the hashes of every version the build considered, not the ones it selected.
``replace`` directives are not applied: the log names the required versions.
"""

from __future__ import annotations

import re

from checks.lockfiles.base import FormatError

EXPECTED = "Go's go.mod (module, go and require directives)"
ECOSYSTEM = "go"
_VERBS = frozenset(
    {"module", "go", "toolchain", "godebug", "require", "replace", "exclude", "retract", "tool"}
    | {"ignore"}
)
_VERSION = re.compile(r"v\d+(\.\d+){0,2}([-+.][0-9A-Za-z.+-]*)?")
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|`[^`]*`|[^\s"`]+')


def parse(source: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    block, opened, module = "", 0, False
    for number, raw in enumerate(source.splitlines(), 1):
        words = _words(raw.split("//", 1)[0] if "//" in raw else raw, number)
        if not words:
            continue
        if block:
            if words == [")"]:
                block = ""
            elif block == "require":
                out.append(_require(words, number))
            continue
        verb = words[0]
        if verb not in _VERBS:
            raise FormatError(f"{verb!r} is not a go.mod directive", number)
        module = module or verb == "module"
        if words[1:] == ["("]:
            block, opened = verb, number
        elif len(words) == 1:
            raise FormatError(f"{verb} needs an argument", number)
        elif verb == "require":
            out.append(_require(words[1:], number))
    if block:
        raise FormatError(f"the file ends inside the {block} block of line {opened}", opened)
    if not module:
        raise FormatError("no module directive", 1)
    return out


def _words(line: str, number: int) -> list[str]:
    words = _TOKEN.findall(line)
    if "".join(words) != "".join(line.split()):
        raise FormatError("an unterminated quoted string", number)
    return [w[1:-1] if w[:1] in ('"', "`") else w for w in words]


def _require(words: list[str], number: int) -> tuple[str, str]:
    if len(words) != 2 or not _VERSION.fullmatch(words[1]):
        raise FormatError("expected 'module/path vX.Y.Z' in require", number)
    return words[0], words[1]
