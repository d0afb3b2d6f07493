"""A project at a time, on every core: what ``ops validate`` and ``ops gate`` do with a tree.

A job is one project (or the templates): each of its files is taken from the cache when it is
unchanged and checked otherwise; its cross-document rules run, or their memo is used when no
file of the project changed; and for the gate its operating rules are judged from the records'
front matter (cached too), or their memo is used for the same files on the same date. Jobs are
spread over the machine's cores in forked processes that send back only findings: the facts
and front matter of a project never cross between processes, and a project's cache is written
by the process that checked it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from checks import document, progress
from checks.document import Document, DocumentError
from checks.errors import OpsError
from checks.findings import Finding
from checks.tree import Target
from checks.validation.cache import (
    DATA,
    INDEX,
    ProjectCache,
    content_hash,
    signature,
    stat_key,
)
from checks.validation.workers import Outcome, Work, check_many, read_target

if TYPE_CHECKING:
    import mmap
    import threading

PARALLEL_MIN = 400  # files: below this, starting a process costs more than it saves
OTHER = "_other"  # the group of what is in no project (the templates)


class Job(NamedTuple):
    group: str  # a project's slug, or OTHER
    targets: tuple[Target, ...]  # every file of the group that is read
    requested: frozenset[str]  # the files whose findings are reported
    judge: dt.date | None = None  # the date to judge the project's operating rules on
    keep: bool = False  # hand each file's data back (Done.data): ops site renders from it


class Done(NamedTuple):
    group: str
    findings: list[Finding]  # the requested files' own, and the cross-document ones on them
    judged: list[Finding] | None  # the operating rules' findings (None: not judged)
    unjudged: Finding | None  # why the project could not be judged (project.yaml)
    data: Mapping[str, Any] | None = None  # with Job.keep: each file's data (None: unreadable)


# --- one job ----------------------------------------------------------------------------------


class _State:
    """What one job knows of each file: its digest and findings, and (when read) its facts
    and front matter."""

    def __init__(self, root: Path, job: Job, cache: ProjectCache) -> None:
        self.root, self.job, self.cache = root, job, cache
        self.entries: dict[str, list[Any]] = {}  # rel -> [digest, findings, sig]
        self.fresh: dict[str, Outcome] = {}  # rel -> outcome of a file checked now
        self.unreadable: dict[str, Outcome] = {}  # rel -> a file that could not be read


def run_one(
    root: Path,
    job: Job,
    use_cache: bool = True,
    contents: Mapping[str, bytes] | None = None,
    tick: Callable[[int], None] | None = None,
) -> Done:
    """One job (``tick(n)``: n more of its files read, when progress is shown)."""
    contents = contents or {}
    cache = ProjectCache(root, job.group, enabled=use_cache)
    state = _State(root, job, cache)
    cached = cache.index().get("entries", {})
    todo: list[Work] = []
    for target in job.targets:
        rel = target.rel
        if rel in contents:
            raw = contents[rel]
            todo.append(Work(target, "", raw, content_hash(raw)))
            continue
        got = _from_cache(root, target, cached.get(rel))
        if isinstance(got, Work):
            todo.append(got)
        elif isinstance(got, Outcome):
            state.unreadable[rel] = got
        else:
            state.entries[rel] = got
    if tick is not None:
        tick(len(job.targets) - len(todo))  # known from the cache, or unreadable
    for work, outcome in zip(todo, check_many(todo, tick), strict=True):
        rel = work.target.rel
        if outcome.digest is None:
            state.unreadable[rel] = outcome
            continue
        state.fresh[rel] = outcome
        state.entries[rel] = [outcome.digest, [list(f) for f in outcome.findings], outcome.sig]
    key = _key(job, state)
    index: dict[str, Any] = {"entries": state.entries}
    memo = cache.index()
    findings = _own(job, state)
    if job.group != OTHER:
        cross = _memo(memo, "cross", key)
        if cross is None:
            cross = _cross(root, job, state, contents)
        index["cross"] = [key, [list(f) for f in cross]]
        findings += [f for f in cross if f.path in job.requested]
    judged: list[Finding] | None = None
    unjudged: Finding | None = None
    if job.judge is not None:
        judge_key = f"{key} {job.judge.isoformat()} {_openslo_key(root, job.group)}"
        judged = _memo(memo, "rules", judge_key)
        if judged is None:
            verdict = _judge(root, job, state, contents)
            if isinstance(verdict, Finding):
                unjudged = verdict
            else:
                judged = verdict
                index["rules"] = [judge_key, [list(f) for f in judged]]
        else:
            index["rules"] = memo["rules"]
    elif "rules" in memo:
        index["rules"] = memo["rules"]
    kept = _data(job, state) if job.keep else None
    if not contents:
        _save(cache, state, index, memo)
    return Done(job.group, findings, judged, unjudged, kept)


def _from_cache(root: Path, target: Target, entry: Any) -> list[Any] | Work | Outcome:
    """The cache entry when the file is unchanged (its signature, or its bytes), the work to
    check it otherwise, or the outcome of a file that cannot be read."""
    full = os.path.join(root, target.rel)
    valid = isinstance(entry, list) and len(entry) == 3
    if valid and entry[2] is not None:
        try:
            st = os.lstat(full)
        except OSError:
            st = None
        if st is not None and stat_key(st) == entry[2]:
            return list(entry)
    if not valid:
        return Work(target, full)  # check_many reads it
    got = read_target(target, full)
    if isinstance(got, Outcome):
        return got
    raw, st = got
    digest, sig = content_hash(raw), signature(st)
    if digest == entry[0]:  # same bytes, new stat (a checkout, a touch): trust it next time
        return [digest, entry[1], sig]
    return Work(target, full, raw, digest, sig)


def _key(job: Job, state: _State) -> str:
    """What every file of the group is: the key of the memos (cross rules, gate)."""
    digest = hashlib.sha256(job.group.encode())
    for target in sorted(job.targets, key=lambda t: t.rel):
        entry = state.entries.get(target.rel)
        digest.update(f"{target.rel}\0{entry[0] if entry else '!'}\0".encode())
    return digest.hexdigest()


def _memo(memo: Mapping[str, Any], name: str, key: str) -> list[Finding] | None:
    got = memo.get(name)
    if isinstance(got, list) and len(got) == 2 and got[0] == key:
        return [Finding(*f) for f in got[1]]
    return None


def _own(job: Job, state: _State) -> list[Finding]:
    out: list[Finding] = []
    for target in job.targets:
        rel = target.rel
        if rel not in job.requested:
            continue
        if rel in state.unreadable:
            out += state.unreadable[rel].findings
        elif rel in state.fresh:
            out += state.fresh[rel].findings
        elif rel in state.entries:
            out += [Finding(*f) for f in state.entries[rel][1]]
    return out


def _data(job: Job, state: _State) -> dict[str, Any]:
    """Every file's data (None: unreadable): checked now, cached, or read again when the cache
    lost it."""
    stored = state.cache.data()
    values, digests = stored.get("data", {}), stored.get("digests", {})
    out: dict[str, Any] = {}
    missing: list[Work] = []
    for target in job.targets:
        rel = target.rel
        if rel in state.fresh:
            out[rel] = state.fresh[rel].data
        elif rel in state.unreadable:
            out[rel] = None
        elif rel in values and digests.get(rel) == state.entries[rel][0]:
            out[rel] = values[rel]  # the data of these very bytes (another run may have raced)
        else:
            missing.append(Work(target, os.path.join(state.root, rel)))
    for work, outcome in zip(missing, check_many(missing), strict=True):
        rel = work.target.rel
        if outcome.digest is None:
            state.unreadable[rel] = outcome
        else:
            state.fresh[rel] = outcome
        out[rel] = outcome.data
    return out


def _cross(root: Path, job: Job, state: _State, contents: Mapping[str, bytes]) -> list[Finding]:
    from checks.validation.crossdoc import check_project
    from checks.validation.perfile import facts

    data = _data(job, state)
    records = [(t, facts(t, data[t.rel])) for t in job.targets if t.project is not None]
    return check_project(job.group, records, Lines(root, contents))


def _judge(
    root: Path, job: Job, state: _State, contents: Mapping[str, bytes]
) -> list[Finding] | Finding:
    """The project's operating rules, judged from the records' front matter; the finding that
    says why not when project.yaml cannot be read."""
    from checks import project as projects
    from checks import rules
    from checks.rules import records, settings

    assert job.judge is not None
    data = _data(job, state)
    config = f"ops/{job.group}/project.yaml"
    checked = _own(job._replace(requested=frozenset({config})), state)
    if isinstance(data.get(config), dict) and not any(f.severity == "error" for f in checked):
        project = projects.from_data(job.group, data[config])  # read and valid: this job's
    else:
        try:
            project = projects.load(root, job.group)
        except OpsError as e:  # validate reports why; never let the project pass unjudged
            where = e.path or config
            return Finding(where, e.line or 1, None, e.message, rule="valid")
    by_kind: dict[str, list[records.Record]] = {}
    for target in job.targets:
        front = data.get(target.rel)
        if target.role != "document" or target.kind is None or not isinstance(front, dict):
            continue
        lazy = records.LazyDocument(front, root / target.rel, contents.get(target.rel))
        by_kind.setdefault(target.kind, []).append(records.Record(target.rel, lazy))
    recs = records.Records(project, by_kind)
    return rules.judge(recs, settings.load(root, project), job.judge)


def _openslo_key(root: Path, group: str) -> str:
    """The OpenSLO files the project's settings read (name, size, times): part of the key of the
    gate's memo, since they are no records."""
    folder = root / "ops" / group / "openslo"
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return ""
    parts = []
    for name in names:
        try:
            parts.append(f"{name}:{stat_key(os.lstat(folder / name))}")
        except OSError:
            parts.append(f"{name}:?")
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def _save(
    cache: ProjectCache, state: _State, index: dict[str, Any], memo: Mapping[str, Any]
) -> None:
    """Write what changed: the index when anything did; the data when a file was checked
    again (the whole group's, so that it stays complete)."""
    old_entries = memo.get("entries", {})
    changed = index != {k: memo.get(k) for k in index} or set(old_entries) != set(state.entries)
    if changed:
        cache.save(INDEX, index)
    if not state.fresh and set(old_entries) == set(state.entries):
        return
    stored = cache.data()
    old_values, old_digests = stored.get("data", {}), stored.get("digests", {})
    values: dict[str, Any] = {}
    digests: dict[str, str] = {}
    for rel, entry in state.entries.items():
        if rel in state.fresh:
            value = state.fresh[rel].data
        elif old_digests.get(rel) == entry[0]:
            value = old_values.get(rel)
        else:
            continue  # not known for these bytes: read again when it is needed
        if value is not None:
            values[rel] = value
            digests[rel] = entry[0]
    cache.save(DATA, {"digests": digests, "data": values})


class Lines:
    """Line numbers for paths in documents, read again for the few findings that need one:
    the checks keep paths, not lines, so they need not compose every document."""

    def __init__(self, root: Path, contents: Mapping[str, bytes]) -> None:
        self.root = root
        self.contents = contents
        self.docs: dict[str, Document | None] = {}

    def __call__(self, target: Target, path: list[str | int]) -> int:
        if target.rel not in self.docs:
            self.docs[target.rel] = self._read(target)
        doc = self.docs[target.rel]
        return 1 if doc is None else doc.line(path)

    def _read(self, target: Target) -> Document | None:
        try:
            raw = self.contents.get(target.rel)
            if raw is None:
                raw = document.read_file(self.root / target.rel)[0]
            return document.parse(target.role, document.decode(raw))
        except (DocumentError, OSError):  # changed since it was checked: no line to give
            return None


# --- many jobs --------------------------------------------------------------------------------


def run(
    root: Path,
    jobs: Sequence[Job],
    *,
    use_cache: bool = True,
    contents: Mapping[str, bytes] | None = None,
    shown: progress.Bar = progress.OFF,
) -> list[Done]:
    """Every job, on every core when there is enough to do; in the order given. ``shown``
    counts the files read, and notes the projects judged."""
    processes = min(os.cpu_count() or 1, 8)
    size = sum(len(job.targets) for job in jobs)
    if contents or processes < 2 or len(jobs) < 2 or size < PARALLEL_MIN:
        if not shown.live:
            return [run_one(root, job, use_cache, contents) for job in jobs]
        out, judging = [], _Judging(jobs, shown)
        for job in jobs:
            out.append(run_one(root, job, use_cache, contents, shown.update))
            judging.count(job)
        return out
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    from checks.validation.perfile import prepare

    prepare()  # compile once here; forked workers inherit it
    # Four buckets a process, taken as processes come free: the workers take the largest
    # first, this process the smallest (those no worker started yet), so that none waits
    # long for another.
    count = min(len(jobs), processes * 4)
    buckets: list[list[int]] = [[] for _ in range(count)]
    loads = [0] * count
    for index in sorted(range(len(jobs)), key=lambda i: -len(jobs[i].targets)):
        least = loads.index(min(loads))
        buckets[least].append(index)
        loads[least] += len(jobs[index].targets)
    ordered = sorted((b for b in buckets if b), key=lambda b: -sum(len(jobs[i].targets) for i in b))
    done: list[Done | None] = [None] * len(jobs)
    with (
        _Tally(len(ordered), shown, _Judging(jobs, shown)) as tally,
        ProcessPoolExecutor(processes - 1, mp_context=get_context("fork")) as pool,
    ):
        futures = [
            (
                slot,
                bucket,
                pool.submit(_run_bucket, root, [jobs[i] for i in bucket], use_cache, slot),
            )
            for slot, bucket in enumerate(ordered)
        ]
        tally.watch()  # a thread: only once the workers are forked
        try:
            for slot, bucket, future in reversed(futures):
                if future.cancel():  # not started: run it here
                    mine = _run_bucket(root, [jobs[i] for i in bucket], use_cache, slot)
                    for i, result in zip(bucket, mine, strict=True):
                        done[i] = result
            for _, bucket, future in futures:
                if not future.cancelled():
                    for i, result in zip(bucket, future.result(), strict=True):
                        done[i] = result
        except BaseException:  # Ctrl-C, or a worker's crash: no bucket is started after it
            pool.shutdown(wait=False, cancel_futures=True)
            raise
    return [d for d in done if d is not None]


def _run_bucket(root: Path, jobs: list[Job], use_cache: bool, slot: int = -1) -> list[Done]:
    counts = _counts
    if counts is None or slot < 0:
        return [run_one(root, job, use_cache) for job in jobs]

    def tick(n: int) -> None:
        counts[2 * slot] += n

    out = []
    for job in jobs:
        out.append(run_one(root, job, use_cache, tick=tick))
        if job.judge is not None:
            counts[2 * slot + 1] += 1
    return out


# --- progress, when it is shown ---------------------------------------------------------------

# Files read and projects judged by each bucket, in memory shared with the forked workers: each
# bucket writes its own two slots (no lock), and a thread of the parent adds them up for the bar.
_counts: memoryview | None = None


class _Judging:
    """The bar's note on the projects judged so far."""

    def __init__(self, jobs: Sequence[Job], shown: progress.Bar) -> None:
        self.total = sum(1 for job in jobs if job.judge is not None)
        self.shown = shown
        self.done = 0

    def count(self, job: Job) -> None:
        if job.judge is not None:
            self.set(self.done + 1)

    def set(self, done: int) -> None:
        if self.total and done != self.done:
            self.done = done
            self.shown.note(f"{done}/{self.total} projects judged")


class _Tally:
    """While the buckets run: the shared counts, and the thread that shows them."""

    def __init__(self, buckets: int, shown: progress.Bar, judging: _Judging) -> None:
        self.buckets, self.shown, self.judging = buckets, shown, judging
        self.memory: mmap.mmap | None = None
        self.thread: threading.Thread | None = None
        self.stop: threading.Event | None = None

    def __enter__(self) -> _Tally:
        global _counts
        if self.shown.live:
            import mmap

            self.memory = mmap.mmap(-1, 16 * self.buckets)  # anonymous: shared when forked
            _counts = memoryview(self.memory).cast("q")
        return self

    def watch(self) -> None:
        if self.shown.live:
            import threading

            self.stop = threading.Event()
            self.thread = threading.Thread(target=self._watch, daemon=True)
            self.thread.start()

    def _watch(self) -> None:
        assert self.stop is not None
        while not self.stop.wait(progress.POLL):
            self._show()

    def _show(self) -> None:
        counts = _counts
        if counts is not None:
            self.shown.advance_to(sum(counts[0::2]))
            self.judging.set(sum(counts[1::2]))

    def __exit__(self, *_: object) -> None:
        global _counts
        if self.stop is not None:
            self.stop.set()
        if self.thread is not None:
            self.thread.join()
        self._show()
        if _counts is not None:
            _counts.release()
            _counts = None
        if self.memory is not None:
            self.memory.close()
