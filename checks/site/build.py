"""Each project read as ``ops exit-criteria`` reads it, judged, and rendered into its pages; a
project per job, on every core (forked processes that write their pages and send back only the
project's model, for the overview)."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from checks import tree
from checks.errors import OpsError
from checks.findings import Finding, sort_key
from checks.rules.records import Records
from checks.site import documents, model, overview, project_page, write
from checks.site.model import ProjectModel

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

PARALLEL_MIN = 400  # records: below this, starting processes costs more than it saves


class Job(NamedTuple):
    root: Path
    slug: str
    as_of: dt.date
    pages: Mapping[str, str]  # every record with a page: repository path -> site path
    out: Path  # the folder being built
    found: tree.Tree | None = None  # the project's part of the scan (None: scan it again)


def pages_of(found: tree.Tree) -> dict[str, str]:
    """Every record the site renders as a page: repository path -> site path."""
    out = {}
    for target in found.targets:
        page = model.page_of(target.rel, target.kind) if target.role == "document" else None
        if page is not None and target.project is not None:
            out[target.rel] = f"{target.project}/{page}"
    return out


def project(job: Job) -> tuple[ProjectModel, dict[str, str]]:
    """One project's model and pages (site path -> HTML), as exit-criteria judges it: its
    records checked as ``ops exit-criteria`` checks them, then read from what that read."""
    from checks import project as projects
    from checks.rules import records, settings
    from checks.validation import engine

    checked = engine.check(job.root, engine.projects(job.root, [job.slug]), keep_data=True)
    errors = sorted(f for f in checked.findings if f.severity == "error")
    try:
        loaded = projects.load(job.root, job.slug)
    except OpsError as e:
        unread = model.unreadable(job.slug, job.as_of, errors, str(e))
        files = {project_page.path(job.slug): project_page.render(unread)}
        return unread, files | _stubs(job, (job.slug, job.slug), files, {})
    found = records.load(job.root, loaded, job.found, checked.data)
    config = settings.load(job.root, loaded)
    made = model.project_model(found, config, job.as_of, errors, checked.checked)
    files = {project_page.path(job.slug): project_page.render(made)}
    files.update(_documents(found, made, job))
    problems = {p.path: p.render() for p in found.problems}
    return made, files | _stubs(job, (made.slug, made.name), files, problems)


def _stubs(
    job: Job, names: tuple[str, str], files: Mapping[str, str], problems: Mapping[str, str]
) -> dict[str, str]:
    """A page for each record of the project that has none (it cannot be read), saying so:
    other pages may link to it."""
    prefix, as_of = f"ops/{job.slug}/", job.as_of.isoformat()
    out = {}
    for rel, page in job.pages.items():
        if rel.startswith(prefix) and page not in files:
            why = problems.get(rel, f"{rel} cannot be read (run ops validate)")
            out[page] = documents.unreadable(rel, page, names, as_of, why)
    return out


def _documents(found: Records, made: ProjectModel, job: Job) -> dict[str, str]:
    as_of, names = job.as_of.isoformat(), (made.slug, made.name)
    weeks = [(r.week, f"{made.slug}/{r.page}") for r in made.reports]
    around = {
        page: documents.Neighbours(
            weeks[i - 1] if i > 0 else None, weeks[i + 1] if i + 1 < len(weeks) else None
        )
        for i, (_, page) in enumerate(weeks)
    }
    out = {}
    for kind in model.PAGES:
        for record in found.of(kind):
            page = job.pages.get(record.rel)
            if page is None:
                continue
            body = getattr(record.doc, "body", "")
            doc = documents.Doc(kind, record.rel, page, record.data, body)
            nav = around.get(page, documents.Neighbours(None, None))
            out[page] = documents.render(doc, names, as_of, job.pages, nav)
    return out


def _run(job: Job) -> ProjectModel:
    """A job in a worker: its pages written, its model sent back."""
    made, files = project(job)
    write.files(job.out, files)
    return made


def _worker_setup(parent: int) -> None:
    import signal

    from checks import progress

    _die_with(parent)
    progress.configure(quiet=True)  # the parent shows the projects built
    # Ctrl-C reaches the whole process group: the parent alone decides (it stops the workers
    # and then removes their folder); its SIGTERM handler, inherited, is not theirs.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _die_with(parent: int) -> None:
    """End this worker when the build's process ends, even by SIGKILL (Linux): it holds the
    build folder's lock, inherited, so a next build could never remove what it left."""
    import signal

    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
    if os.getppid() != parent:  # it ended before this worker could ask
        os._exit(1)


def run(
    jobs: Sequence[Job], sizes: Mapping[str, int], tick: Callable[[], None]
) -> list[ProjectModel]:
    """Every job, largest first on every core when there is enough to do; the models by slug.
    ``tick()`` after each project."""
    processes = min(os.cpu_count() or 1, 8)
    if processes < 2 or len(jobs) < 2 or sum(sizes.values()) < PARALLEL_MIN:
        out = []
        for job in jobs:
            out.append(_run(job))
            tick()
        return sorted(out, key=lambda m: m.slug)
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from multiprocessing import get_context

    from checks.validation.perfile import prepare

    prepare()  # schemas compiled once here; the forked workers inherit them
    ordered = sorted(jobs, key=lambda j: (-sizes.get(j.slug, 0), j.slug))
    with ProcessPoolExecutor(
        processes,
        mp_context=get_context("fork"),
        initializer=_worker_setup,
        initargs=(os.getpid(),),
    ) as pool:
        futures = [pool.submit(_run, job) for job in ordered]
        try:
            models = []
            for future in as_completed(futures):
                models.append(future.result())
                tick()
        except BaseException:
            _stop(pool)  # before the caller removes the folder they write into
            raise
    return sorted(models, key=lambda m: m.slug)


def _stop(pool: ProcessPoolExecutor) -> None:
    """No worker left running: the queued jobs cancelled, the running ones ended, waited for."""
    workers = list(pool._processes.values())  # no public way to end them
    pool.shutdown(wait=False, cancel_futures=True)
    for worker in workers:
        worker.terminate()
    for worker in workers:
        worker.join()
    pool.shutdown(wait=True)


def repository(root: Path, found: tree.Tree) -> tuple[Finding, ...]:
    """What ``ops validate`` (and so ``ops gate``) finds in no project: the scan's problems
    outside the project folders (ops/notes.md, ops/Bad Name) and the templates' errors. Fail
    closed: together with each project's own (:func:`project`), nothing it finds is dropped."""
    from checks.validation import engine

    slugs = set(found.projects)
    whole = engine.everything(root, found)
    outside = engine.Selection(
        [t for t in whole.requested if _project_of(t.rel, slugs) is None],
        [],
        [p for p in whole.problems if _project_of(p.path, slugs) is None],
        (),
    )
    findings = engine.check(root, outside).findings
    return tuple(
        sorted(
            (f for f in findings if f.severity == "error" and _project_of(f.path, slugs) is None),
            key=sort_key,
        )
    )


def _project_of(path: str, slugs: set[str]) -> str | None:
    """The project a path of the repository is in (``ops/<slug>/...``), or None."""
    parts = path.split("/")
    return parts[1] if len(parts) > 2 and parts[0] == "ops" and parts[1] in slugs else None


def _by_project(found: tree.Tree) -> dict[str, tree.Tree]:
    """The scan cut per project, for records.load (which would scan each project again)."""
    targets: dict[str, list[tree.Target]] = {}
    for target in found.targets:
        if target.project is not None:
            targets.setdefault(target.project, []).append(target)
    problems: dict[str, list[Finding]] = {}
    slugs = set(found.projects)
    for problem in found.problems:
        slug = _project_of(problem.path, slugs)
        if slug is not None:  # the others are the repository's (validate)
            problems.setdefault(slug, []).append(problem)
    return {
        slug: tree.Tree(targets.get(slug, []), [], problems.get(slug, []), [slug])
        for slug in found.projects
    }


class Built(NamedTuple):
    models: list[ProjectModel]  # by slug
    repository: tuple[Finding, ...]  # ops validate's errors in no project


def build(root: Path, as_of: dt.date, out: Path, tick: Callable[[], None]) -> Built:
    """The whole site into the empty folder ``out``; the projects' models and the
    repository's own errors."""
    found = tree.scan(root)
    if not found.projects:
        raise OpsError(f"no projects: no ops/<project>/ folder under {root}")
    pages = pages_of(found)
    sizes: dict[str, int] = {}
    for target in found.targets:
        if target.project is not None:
            sizes[target.project] = sizes.get(target.project, 0) + 1
    outside = repository(root, found)
    parts = _by_project(found)
    jobs = [Job(root, slug, as_of, pages, out, parts.get(slug)) for slug in sorted(found.projects)]
    models = run(jobs, sizes, tick)
    listed = tuple(model.Problem.of(f) for f in outside)
    write.files(out, {overview.PATH: overview.render(models, as_of, listed)})
    write.assets(out)
    return Built(models, outside)
