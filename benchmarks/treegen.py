"""Generate a large, valid operations tree by replaying the sample project ops/checkout.

Usage (from the repository root)::

    .venv/bin/python benchmarks/treegen.py --projects 200 --weeks 104 --out DIR [--seed 6]
        [--no-manifest]

``generate(dest, projects=..., weeks=..., seed=...)`` writes ``DIR/ops/<slug>/...`` for each
project, ``DIR/templates/`` (copied from this repository) and ``DIR/evidence/phase6/`` (an empty
run.log, and what ``ops evidence manifest`` builds from the tree), and returns a :class:`Tree`:
the documents per kind, the project slugs and the date the tree is to be judged at.

Nothing is hand-written: every record is one of the sample's (project.yaml and its ~36
records), read at run time and transformed, so that a change of the sample, the schemas or the
templates flows through (and a change that breaks the replay fails ``tests/test_benchmarks.py``).

How a project is made:

- The sample's history is one **block** of 12 weeks (84 days: two retro periods of 14 days, a
  security cadence of 7, a dependency cadence of 14, an on-call rotation of 4 x 7 days all
  divide it, so weekdays, cadences and rotations stay aligned). The newest block is the sample
  itself, judged at the sample's own as-of date (the day after its newest review); older blocks
  are copies shifted back by 84 days each, until ``weeks`` weeks before the as-of date are
  covered. Records of the oldest block that fall before that start are left out (a postmortem
  with its incident).
- A shifted copy is shifted everywhere: file names, dates and instants (front matter and body),
  ISO weeks, the weekday labels of SLO charts, release names (``2026.10.21-1``), RETRO item ids
  (they carry the retro's date) and dashboard time ranges. Incident ids are renumbered per year
  in the order the incidents started (``INC-YYYY-NNN``, lower-case chat channels too), and the
  postmortems, action item ids and every mention follow. Issue and pull-request numbers of the
  project's backlog repository are offset per block (``n + block * stride``, stride above every
  number the sample uses), so trackers stay unique. Security findings get ids of their own per
  block (a CVE's number is offset per block and its year follows the shifted discovery date; a
  GHSA id's last group encodes the block), so that no finding is carried across blocks and a
  log's discovery dates stay those of the first log that named the finding.
- Cadences are kept by **fills**: the sample has 9 weekly security logs, 5 fortnightly
  dependency logs and 7 weekly SLO reports where a block needs 12, 6 and 12. The missing ones
  are copies: a security review repeats the newest one with only its date changed (its findings
  and their discovery dates, exceptions and approvers are the same); a dependency log or an SLO
  report is one of those of its kind that name no incident or finding (newest first, in
  turn), shifted by whole weeks (an SLO report keeps its self-consistent figures; its week,
  window, generated_at and chart labels move). Only the fills that are in the past at the
  as-of date join the newest block (the SLO report of the last complete week, which the sample
  lacks: without it the gate reports a missing week).
- What the sample leaves open at its as-of date would break the operating rules once it is
  history, so older blocks vary minimally: a draft postmortem is published on its own date,
  every action item still open is closed on its due date, an item without a backlog link gets
  a new issue, and the last security review of the block records every finding still open or
  accepted as fixed on its date. Bodies are left as the sample wrote them (they say "draft",
  "open"); the rules read the front matter. What breaks no rule stays as it is: the retro
  that is still scheduled at the block's end stays scheduled.
- Projects differ by slug, name and backlog repository (``acme/<slug>``); ``seed`` chooses the
  slugs. The sample's slug is replaced where it names the project: ``project:``, ``ops/<slug>/``,
  ``--project <slug>``, the mock seed, the repository and URLs; the SLO names and queries stay.

The tree passes ``ops validate`` (exit 0) and ``ops gate --as-of <Tree.as_of>`` (exit 0; the
sample's warnings remain: two items closed late per block, the pending postmortem).
Same seed and sizes, same bytes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import itertools
import os
import random
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, NamedTuple

import yaml
from ruamel.yaml import YAML

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "ops" / "checkout"
BLOCK_DAYS = 84  # one replayed block: 12 weeks
PROJECT_FILE = "project.yaml"
# Placeholders for the project's identity in the prepared texts (letters only: valid in YAML
# plain scalars and URLs, and matched by none of the shifting patterns).
SLUG_TOKEN = "zzslugzz"
NAME_TOKEN = "ZZNAMEZZ"
PERIODIC = ("retro", "dependency-log", "security-log", "slo-report")
GHSA_ALPHABET = "23456789cfghjmpqrvwx"  # the characters of GHSA ids
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

SERVICES = [
    "checkout", "payments", "search", "catalog", "identity", "notifications", "inventory",
    "shipping", "pricing", "reviews", "recommendations", "ledger", "billing", "gateway",
    "media", "messaging", "analytics", "onboarding", "loyalty", "fraud", "orders", "carts",
    "accounts", "profiles", "sessions", "tax", "returns", "invoices", "wallet", "coupons",
    "subscriptions", "refunds", "warehouse", "fulfilment", "routing", "maps", "chat", "feeds",
    "uploads", "exports",
]  # fmt: skip
ACRONYMS = {"eu", "us", "apac", "latam"}
REGIONS = ["eu", "us", "apac", "latam", "core", "edge", "batch", "mobile", "web", "partner"]


class GenError(Exception):
    """The sample cannot be replayed (a record the generator does not understand)."""


@dataclass(frozen=True)
class Tree:
    """A generated tree: where, what, and the date it is to be judged at."""

    root: Path
    projects: list[str]  # slugs
    as_of: dt.date
    weeks: int
    counts: dict[str, int]  # records per kind, all projects (project.yaml not counted)
    paths: dict[str, list[str]] = field(repr=False)  # relative paths per kind

    @property
    def documents(self) -> int:
        return sum(self.counts.values())

    @property
    def per_project(self) -> int:
        return self.documents // max(1, len(self.projects))


# --------------------------------------------------------------------------- the sample


@dataclass(frozen=True)
class Doc:
    """One record, in the sample's time frame."""

    kind: str
    folder: str
    name: str
    text: str
    meta: dict[str, Any]

    @property
    def anchor(self) -> dt.date:
        """The day the record belongs to (what decides whether a window includes it)."""
        if self.kind == "incident":
            return _day(self.meta["started"])
        if self.kind == "slo-report":
            return _week_monday(str(self.meta["week"]))
        return _day(self.meta["date"])

    @property
    def recorded(self) -> dt.date:
        """The day it was written down (a fill joins the newest block only if it is past)."""
        if self.kind == "slo-report":
            return _day(self.meta["generated_at"])
        return self.anchor


@dataclass(frozen=True)
class Sample:
    slug: str
    name: str
    repository: str  # the backlog repository, owner/name
    project_text: str
    docs: list[Doc]


def _day(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC)
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value)
    return dt.date.fromisoformat(text[:10])


def _week_monday(label: str) -> dt.date:
    year, week = label.split("-W")
    return dt.date.fromisocalendar(int(year), int(week), 1)


def _week_label(day: dt.date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def split_front_matter(text: str) -> tuple[str, str]:
    """(front matter YAML, the rest from the closing ``---`` on)."""
    if not text.startswith("---\n"):
        raise GenError("no front matter")
    end = text.find("\n---\n", 3)
    if end < 0:
        raise GenError("unterminated front matter")
    return text[4 : end + 1], text[end + 1 :]


def load_sample(sample: Path = SAMPLE) -> Sample:
    project_text = (sample / PROJECT_FILE).read_text(encoding="utf-8")
    config = yaml.safe_load(project_text)
    docs = []
    for path in sorted(sample.rglob("*.md")):
        text = path.read_text(encoding="utf-8")
        try:
            meta = yaml.safe_load(split_front_matter(text)[0])
        except GenError as e:
            raise GenError(f"{path}: {e}") from None
        folder = path.parent.relative_to(sample).as_posix()
        docs.append(Doc(str(meta["kind"]), folder, path.name, text, meta))
    if not docs:
        raise GenError(f"{sample}: no records")
    repository = str((config.get("backlog") or {}).get("github_repository", ""))
    return Sample(str(config["project"]), str(config["name"]), repository, project_text, docs)


def sample_as_of(docs: Iterable[Doc]) -> dt.date:
    """The day after the newest review or postmortem: the sample's story is told as of then
    (ops/checkout: 2026-11-24)."""
    dated = [d.anchor for d in docs if d.kind in ("security-log", "dependency-log", "postmortem")]
    return max(dated) + dt.timedelta(days=1)


# --------------------------------------------------------------------------- editing YAML


def _yaml() -> YAML:
    y = YAML(typ="rt")
    y.preserve_quotes = True
    y.width = 1 << 20
    y.indent(mapping=2, sequence=4, offset=2)
    return y


def edit_front_matter(doc: Doc, change: Callable[[Any], None]) -> Doc:
    """The document with its front matter changed by ``change`` (round-tripped with
    ruamel.yaml: comments, order and quoting stay)."""
    head, rest = split_front_matter(doc.text)
    y = _yaml()
    data = y.load(head)
    change(data)
    out = io.StringIO()
    y.dump(data, out)
    text = "---\n" + out.getvalue() + rest
    return replace(doc, text=text, meta=yaml.safe_load(split_front_matter(text)[0]))


def _put_after(mapping: Any, after: str, key: str, value: object) -> None:
    if isinstance(value, dt.date):  # a new object: ruamel.yaml writes a shared one as an alias
        value = dt.date.fromordinal(value.toordinal())
    if key in mapping:
        mapping[key] = value
        return
    keys = list(mapping.keys())
    mapping.insert(keys.index(after) + 1 if after in keys else len(keys), key, value)


# --------------------------------------------------------------------------- one block


def _periods(docs: list[Doc]) -> dict[str, tuple[int, list[Doc]]]:
    """For each periodic kind: its spacing in days and its records, oldest first."""
    out = {}
    for kind in PERIODIC:
        mine = sorted((d for d in docs if d.kind == kind), key=lambda d: d.anchor)
        if not mine:
            continue
        gaps = {(b.anchor - a.anchor).days for a, b in itertools.pairwise(mine)}
        if len(gaps) > 1 or 0 in gaps:
            raise GenError(f"the sample's {kind} records are not evenly spaced: {sorted(gaps)}")
        spacing = gaps.pop() if gaps else BLOCK_DAYS
        if BLOCK_DAYS % spacing or len(mine) * spacing > BLOCK_DAYS:
            raise GenError(f"the sample's {kind} cadence ({spacing} days) does not fit a block")
        out[kind] = (spacing, mine)
    return out


_IDS = re.compile(r"\b(?:INC|inc)-\d{4}-\d+|\bCVE-\d{4}-\d+|\bGHSA(?:-[0-9a-z]{4}){3}\b")


def _fills(docs: list[Doc]) -> list[Doc]:
    """The records a block needs beyond the sample's to keep every cadence, in the sample's
    frame (after its newest record of each kind)."""
    out = []
    for kind, (spacing, mine) in _periods(docs).items():
        missing = BLOCK_DAYS // spacing - len(mine)
        if missing <= 0:
            continue
        last = mine[-1]
        plain = [d for d in mine if not _IDS.search(d.text)]
        for j in range(1, missing + 1):
            day = last.anchor + dt.timedelta(days=spacing * j)
            if kind == "security-log":
                out.append(_redate(last, day))
            else:
                source = plain[-1 - (j - 1) % len(plain)] if plain else last
                out.append(shift_doc(source, (day - source.anchor).days))
    return out


def _redate(doc: Doc, day: dt.date) -> Doc:
    """A security review repeated on another day: only the log's own date moves."""
    old = doc.meta["date"]
    changed = edit_front_matter(doc, lambda data: _put_after(data, "kind", "date", day))
    head, rest = split_front_matter(changed.text)
    text = "---\n" + head + rest.replace(_day(old).isoformat(), day.isoformat())
    name = doc.name.replace(_day(old).isoformat(), day.isoformat())
    return replace(changed, text=text, name=name)


def shift_doc(doc: Doc, days: int) -> Doc:
    """A record moved by whole weeks within the sample's frame (dates only; ids stay)."""
    shifter = Shifter(days)
    text = shifter.text(doc.text, doc.kind)
    meta = yaml.safe_load(split_front_matter(text)[0])
    return replace(doc, name=shifter.text(doc.name, ""), text=text, meta=meta)


def _retire(docs: list[Doc], tracker: Callable[[], str]) -> list[Doc]:
    """The sample as an older block: what it leaves open at its as-of date closed the way the
    rules expect once it is history (see the module's docstring)."""

    def close_items(data: Any, needs_tracker: bool) -> None:
        for item in data.get("action_items") or []:
            if item.get("status") == "open":
                item["status"] = "done"
                _put_after(item, "status", "closed", _day(item["due"]))
            if needs_tracker and not item.get("tracker"):
                _put_after(item, "closed" if "closed" in item else "status", "tracker", tracker())

    def postmortem(data: Any) -> None:
        if data.get("status") != "published":
            data["status"] = "published"
            _put_after(data, "status", "published", _day(data["date"]))
        close_items(data, needs_tracker=True)

    def retro(data: Any) -> None:
        close_items(data, needs_tracker=data.get("status") == "held")

    out = []
    for doc in docs:
        items = doc.meta.get("action_items") or []
        if doc.kind == "postmortem" and (
            doc.meta.get("status") != "published"
            or any(i.get("status") == "open" or not i.get("tracker") for i in items)
        ):
            doc = edit_front_matter(doc, postmortem)
        elif doc.kind == "retro" and any(i.get("status") == "open" for i in items):
            doc = edit_front_matter(doc, retro)
        out.append(doc)
    logs = sorted((d for d in out if d.kind == "security-log"), key=lambda d: d.anchor)
    if logs and any(f.get("status") != "fixed" for f in logs[-1].meta.get("findings") or []):
        last = logs[-1]

        def fix(data: Any) -> None:
            for finding in data.get("findings") or []:
                if finding.get("status") != "fixed":
                    finding["status"] = "fixed"
                    _put_after(finding, "status", "fixed", _day(data["date"]))
                    if "exception" in finding:
                        del finding["exception"]

        out[out.index(last)] = edit_front_matter(last, fix)
    return out


# --------------------------------------------------------------------------- shifting


class Shifter:
    """Moves a text by ``days`` (a multiple of 7) and renames what a block renames."""

    _LABEL = re.compile(r"\b(Mon|Tue|Wed|Thu|Fri|Sat|Sun) (\d{1,2})(?![\d-])")

    def __init__(
        self,
        days: int,
        incidents: dict[str, str] | None = None,
        findings: Callable[[str], str] | None = None,
        number: Callable[[int], int] | None = None,
        repository: str = "",
    ) -> None:
        if days % 7:
            raise ValueError("shifts are whole weeks (weekdays and ISO weeks must stay)")
        self.delta = dt.timedelta(days=days)
        self.days = days
        self.incidents = incidents or {}
        self.findings = findings
        self.number = number
        repo = re.escape(repository) if repository else "(?!)"
        self.pattern = re.compile(
            r"(?P<date>(?<!\d)\d{4}-\d{2}-\d{2}(?!\d))"
            r"|(?P<week>(?<!\d)\d{4}-W\d{2}(?!\d))"
            r"|(?P<retro>(?<=RETRO-)\d{8}(?!\d))"
            r"|(?P<release>(?<![\d.])\d{4}\.\d{2}\.\d{2}(?=-\d))"
            r"|(?P<inc>\b(?:INC|inc)-\d{4}-\d+\b)"
            r"|(?P<finding>\bCVE-\d{4}-\d+\b|\bGHSA(?:-[0-9a-z]{4}){3}\b)"
            r"|(?P<ms>(?<=[?&]from=)\d{13}(?!\d)|(?<=&to=)\d{13}(?!\d))"
            r"|(?P<num>(?<=\[#)\d+(?=\])|(?<=PR #)\d+\b"
            rf"|(?<={repo}/issues/)\d+\b|(?<={repo}/pull/)\d+\b)"
        )

    def _date(self, text: str, fmt: str = "%Y-%m-%d") -> str:
        try:
            day = dt.datetime.strptime(text, fmt).date()
        except ValueError:
            return text
        return (day + self.delta).strftime(fmt)

    def _one(self, m: re.Match[str]) -> str:
        group, text = m.lastgroup, m.group()
        if group == "date":
            return self._date(text)
        if group == "week":
            try:
                return _week_label(_week_monday(text) + self.delta)
            except ValueError:
                return text
        if group == "retro":
            return self._date(text, "%Y%m%d")
        if group == "release":
            return self._date(text, "%Y.%m.%d")
        if group == "inc":
            new = self.incidents.get(text.upper())
            if new is None:
                return text
            return new.lower() if text.startswith("inc") else new
        if group == "finding":
            return self.findings(text) if self.findings else text
        if group == "ms":
            return str(int(text) + self.days * 86_400_000)
        if group == "num":
            return str(self.number(int(text))) if self.number else text
        return text

    def text(self, text: str, kind: str) -> str:
        if kind == "slo-report" and self.days:
            text = self._labels(text)
        return self.pattern.sub(self._one, text)

    def _labels(self, text: str) -> str:
        """The weekday labels of an SLO report's charts and table (``Mon 19``) for its week."""
        match = re.search(r"^week: *[\"']?(\d{4}-W\d{2})", text, re.MULTILINE)
        if match is None:
            return text
        monday = _week_monday(match.group(1))
        names = {}
        for i, label in enumerate(WEEKDAYS):
            old, new = monday + dt.timedelta(days=i), monday + self.delta + dt.timedelta(days=i)
            names[f"{label} {old.day}"] = f"{label} {new.day}"
        return self._LABEL.sub(lambda m: names.get(m.group(), m.group()), text)


# --------------------------------------------------------------------------- identity


def tokenize(text: str, sample: Sample) -> str:
    """The sample's project identity replaced by placeholders (see SLUG_TOKEN)."""
    slug = re.escape(sample.slug)
    if sample.repository:
        owner = sample.repository.split("/", 1)[0]
        text = text.replace(sample.repository, f"{owner}/{SLUG_TOKEN}")
    text = re.sub(rf"^(project: *){slug}(?=\s|$)", rf"\g<1>{SLUG_TOKEN}", text, flags=re.M)
    text = re.sub(
        rf"^(name: *){re.escape(sample.name)} *$", rf"\g<1>{NAME_TOKEN}", text, flags=re.M
    )
    text = re.sub(rf"^(\s*seed: *){slug}(?=\s|$)", rf"\g<1>{SLUG_TOKEN}", text, flags=re.M)
    text = re.sub(rf"\bops/{slug}/", f"ops/{SLUG_TOKEN}/", text)
    text = re.sub(rf"--project {slug}\b", f"--project {SLUG_TOKEN}", text)
    word = re.compile(rf"(?<![A-Za-z0-9]){slug}(?![A-Za-z0-9])")
    return re.sub(r"https?://[^\s)\]>\"']+", lambda m: word.sub(SLUG_TOKEN, m.group()), text)


def project_names(count: int, seed: int) -> list[tuple[str, str]]:
    """(slug, name) of ``count`` projects, chosen by ``seed``; sorted by slug."""
    rng = random.Random(seed)
    plain = rng.sample(SERVICES, min(count, len(SERVICES)))
    more = [f"{s}-{r}" for r in REGIONS for s in SERVICES]
    rng.shuffle(more)
    slugs = plain + more[: max(0, count - len(plain))]
    n = 2
    while len(slugs) < count:
        slugs += [f"{s}-{n}" for s in more[: count - len(slugs)]]
        n += 1
    out = []
    for slug in sorted(slugs):
        words = [w.upper() if w in ACRONYMS else w.capitalize() for w in slug.split("-")]
        out.append((slug, " ".join(words) + " Service"))
    return out


# --------------------------------------------------------------------------- a project plan


class File(NamedTuple):
    kind: str
    rel: str  # under ops/<slug>/, with SLUG_TOKEN where the slug goes
    text: str  # with SLUG_TOKEN and NAME_TOKEN


@dataclass
class Plan:
    """One project's files (with placeholders), the same for every project of a tree."""

    as_of: dt.date
    start: dt.date  # the first day covered
    blocks: int
    files: list[File]

    def counts(self) -> Counter[str]:
        return Counter(f.kind for f in self.files if f.kind != "project")


def _finding_ids(docs: Iterable[Doc]) -> dict[str, dt.date]:
    """Every finding id the sample's security logs name, with its discovery date."""
    out: dict[str, dt.date] = {}
    for d in docs:
        for f in d.meta.get("findings") or [] if d.kind == "security-log" else []:
            out.setdefault(str(f["id"]), _day(f["discovered"]))
    return out


def _finding_namer(block: int, days: int, known: dict[str, dt.date]) -> Callable[[str], str]:
    delta = dt.timedelta(days=days)

    def rename(ident: str) -> str:
        if ident.startswith("CVE-"):
            _, year, number = ident.split("-", 2)
            discovered = known.get(ident, dt.date(int(year), 7, 1))
            return f"CVE-{(discovered + delta).year}-{int(number) + 100 * block}"
        groups = ident.split("-")
        code, value = "", block
        for _ in range(4):
            code = GHSA_ALPHABET[value % len(GHSA_ALPHABET)] + code
            value //= len(GHSA_ALPHABET)
        return "-".join([*groups[:3], code])

    return rename


def _numbers(texts: Iterable[str], repository: str) -> list[int]:
    repo = re.escape(repository)
    found = re.compile(rf"\[#(\d+)\]|PR #(\d+)|{repo}/(?:issues|pull)/(\d+)")
    return [int(next(g for g in m.groups() if g)) for t in texts for m in found.finditer(t)]


@dataclass(frozen=True)
class Prepared:
    """The sample made ready to replay (what does not depend on the number of weeks)."""

    sample: Sample
    as_of: dt.date
    final: list[tuple[Doc, str]]  # the newest block, with its tokenized text
    history: list[tuple[Doc, str]]  # every older block, likewise
    stride: int  # issue numbers: n + block * stride
    findings: dict[str, dt.date]  # the finding ids of the sample, with their discovery dates
    repository: str  # tokenized

    def block(self, k: int) -> list[tuple[Doc, str]]:
        return self.final if k == 0 else self.history

    def blocks(self, weeks: int) -> tuple[dt.date, list[tuple[int, list[tuple[Doc, str]]]]]:
        """The first day covered, and each block (k blocks before the newest, oldest first)
        with the records it contributes."""
        if weeks < 1:
            raise ValueError("weeks must be at least 1")
        start = self.as_of - dt.timedelta(weeks=weeks)
        newest = max(d.anchor for d, _ in self.history)
        count = 1
        while newest - dt.timedelta(days=BLOCK_DAYS * count) >= start:
            count += 1
        out = []
        for k in reversed(range(count)):
            shift = dt.timedelta(days=-BLOCK_DAYS * k)
            chosen = [(d, t) for d, t in self.block(k) if d.anchor + shift >= start]
            ids = {d.meta["id"] for d, _ in chosen if d.kind == "incident"}
            chosen = [
                (d, t) for d, t in chosen if d.kind != "postmortem" or d.meta.get("incident") in ids
            ]
            out.append((k, chosen))
        return start, out

    def documents(self, weeks: int) -> int:
        """Records per project for ``weeks`` weeks (project.yaml not counted)."""
        return sum(len(chosen) for _, chosen in self.blocks(weeks)[1])


def prepare(sample: Sample | None = None) -> Prepared:
    sample = sample or load_sample()
    docs = sample.docs
    as_of = sample_as_of(docs)
    fills = _fills(docs)
    final = docs + [f for f in fills if f.recorded <= as_of]
    issue_prefix = f"https://github.com/{sample.repository}/issues/"
    used = _numbers((d.text for d in docs), sample.repository)
    next_issue = iter(range(max(used, default=0) + 1, 1 << 62))
    history = _retire(docs + fills, lambda: f"{issue_prefix}{next(next_issue)}")
    stride = max(_numbers((d.text for d in history), sample.repository), default=0) + 1
    return Prepared(
        sample,
        as_of,
        [(d, tokenize(d.text, sample)) for d in final],
        [(d, tokenize(d.text, sample)) for d in history],
        stride,
        _finding_ids(history),
        tokenize(sample.repository, sample) if sample.repository else "",
    )


def plan(weeks: int, prepared: Prepared | None = None) -> Plan:
    """One project's files for ``weeks`` weeks up to the sample's as-of date."""
    prepared = prepared or prepare()
    start, blocks = prepared.blocks(weeks)
    # incident ids: numbered per year in the order the incidents started, over every block
    # (those before the first day covered too: they happened, their files are just not here)
    starts = []
    for k, _ in blocks:
        for d, _ in prepared.block(k):
            if d.kind == "incident":
                started = d.meta["started"]
                shifted = _day(started) - dt.timedelta(days=BLOCK_DAYS * k)
                starts.append((shifted, str(started), -k, str(d.meta["id"])))
    per_year: Counter[int] = Counter()
    incident_ids: dict[tuple[int, str], str] = {}
    for day, _, minus_k, old in sorted(starts):
        per_year[day.year] += 1
        incident_ids[(-minus_k, old)] = f"INC-{day.year}-{per_year[day.year]:03d}"
    files: list[File] = []
    fail_weeks: list[str] = []
    for k, chosen in blocks:
        block = len(blocks) - 1 - k  # 0: the oldest
        days = -BLOCK_DAYS * k
        shifter = Shifter(
            days,
            incidents={old: new for (kk, old), new in incident_ids.items() if kk == k},
            findings=_finding_namer(block, days, prepared.findings),
            number=lambda n, block=block: n + prepared.stride * block,
            repository=prepared.repository,
        )
        for d, text in sorted(chosen, key=lambda c: (c[0].folder, c[0].anchor, c[0].name)):
            name = shifter.text(d.name, "")
            files.append(File(d.kind, f"{d.folder}/{name}", shifter.text(text, d.kind)))
            if d.kind == "slo-report" and d.meta.get("status") == "FAIL":
                fail_weeks.append(_week_label(d.anchor + dt.timedelta(days)))
    sample = prepared.sample
    oldest = Shifter(-BLOCK_DAYS * (len(blocks) - 1))
    config = oldest.text(tokenize(sample.project_text, sample), "")
    # its comments name the newest block's incidents
    newest_ids = {old: new for (k, old), new in incident_ids.items() if k == 0}
    config = Shifter(0, incidents=newest_ids).text(config, "")
    weeks_list = ", ".join(f'"{w}"' for w in fail_weeks)
    config = re.sub(r"(bad_weeks: *)\[[^\]\n]*\]", rf"\g<1>[{weeks_list}]", config)
    files.insert(0, File("project", PROJECT_FILE, config))
    return Plan(prepared.as_of, start, len(blocks), files)


# --------------------------------------------------------------------------- writing


def ops_command() -> list[str]:
    ops = REPO / ".venv" / "bin" / "ops"
    if ops.exists():
        return [str(ops)]
    installed = Path(sys.executable).with_name("ops")
    return [str(installed)] if installed.exists() else [sys.executable, "-m", "checks"]


def build_manifest(root: Path, env: dict[str, str] | None = None) -> None:
    """What ``ops gate`` needs of evidence/phase6/, built as a user would: ops evidence
    manifest."""
    done = subprocess.run(
        [*ops_command(), "--root", str(root), "evidence", "manifest"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if done.returncode != 0:
        raise GenError(
            f"ops evidence manifest exited {done.returncode}:\n{done.stdout[-2000:]}"
            f"{done.stderr[-2000:]}"
        )


def generate(
    dest: Path,
    *,
    projects: int,
    weeks: int,
    seed: int = 6,
    manifest: bool = True,
    env: dict[str, str] | None = None,
    sample: Path = SAMPLE,
) -> Tree:
    """Write a tree of ``projects`` projects of ``weeks`` weeks each under ``dest`` (which
    must not exist or be empty). ``env``: the environment of ``ops evidence manifest``."""
    if projects < 1:
        raise ValueError("projects must be at least 1")
    dest = Path(dest)
    if dest.exists() and any(dest.iterdir()):
        raise GenError(f"{dest} is not empty")
    the_plan = plan(weeks, prepare(load_sample(sample)))
    names = project_names(projects, seed)
    folders = sorted({f.rel.rsplit("/", 1)[0] for f in the_plan.files if "/" in f.rel})
    token = SLUG_TOKEN.encode()
    parts = [(f.kind, f.rel, f.text.encode("utf-8").split(token)) for f in the_plan.files]
    paths: dict[str, list[str]] = {}
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0)
    for slug, name in names:
        base = dest / "ops" / slug
        for folder in folders:
            (base / folder).mkdir(parents=True, exist_ok=True)
        prefix, encoded = f"{base}{os.sep}", slug.encode()
        for kind, rel, pieces in parts:
            data = encoded.join(pieces)
            if kind == "project":
                data = data.replace(NAME_TOKEN.encode(), name.encode("utf-8"))
            else:
                paths.setdefault(kind, []).append(f"ops/{slug}/{rel}")
            fd = os.open(prefix + rel, flags, 0o644)
            try:
                os.write(fd, data)
            finally:
                os.close(fd)
    shutil.copytree(REPO / "templates", dest / "templates")
    evidence = dest / "evidence" / "phase6"
    evidence.mkdir(parents=True)
    (evidence / "run.log").write_bytes(b"")
    if manifest:
        build_manifest(dest, env)
    counts = {kind: len(found) for kind, found in sorted(paths.items())}
    return Tree(dest, [s for s, _ in names], the_plan.as_of, weeks, counts, paths)


def documents_per_project(weeks: int) -> int:
    return prepare().documents(weeks)


def weeks_for(documents: int, projects: int) -> int:
    """The fewest weeks for which ``projects`` projects hold at least ``documents`` records."""
    prepared = prepare()
    per = max(1, -(-documents // projects))
    lo, hi = 1, 16
    while prepared.documents(hi) < per:
        lo, hi = hi, hi * 2
    while lo < hi:
        mid = (lo + hi) // 2
        if prepared.documents(mid) >= per:
            hi = mid
        else:
            lo = mid + 1
    return lo


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--projects", type=int, default=200)
    parser.add_argument("--weeks", type=int, default=104)
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--out", type=Path, required=True, help="an empty or new folder")
    parser.add_argument(
        "--no-manifest", action="store_true", help="skip ops evidence manifest (ops gate needs it)"
    )
    args = parser.parse_args(argv)
    if args.projects < 1 or args.weeks < 1:
        parser.error("--projects and --weeks must be positive")
    began = time.perf_counter()
    try:
        tree = generate(
            args.out,
            projects=args.projects,
            weeks=args.weeks,
            seed=args.seed,
            manifest=not args.no_manifest,
        )
    except GenError as e:
        print(f"treegen: {e}", file=sys.stderr)
        return 2
    kinds = ", ".join(f"{k} {v:,}" for k, v in tree.counts.items())
    print(
        f"{tree.documents:,} documents ({tree.per_project} per project; {kinds}) in "
        f"{len(tree.projects)} projects, {args.weeks} weeks, judged as of {tree.as_of}; "
        f"{time.perf_counter() - began:.1f} s"
    )
    print(f"check: ops --root {os.fspath(args.out)} gate --as-of {tree.as_of}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
