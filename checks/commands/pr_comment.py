"""``ops pr-comment``: the pull request gate's verdict as one comment, edited on every push."""

from __future__ import annotations

import argparse
import os
import re
from pathlib import Path

from checks.errors import EXIT_OK, OpsError
from checks.report import say

REPOSITORY = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}")
LOGIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,38}(?:\[bot\])?")
RUN_URL = re.compile(r"https?://[^\s\"'`<>()\[\]\\]{1,2000}")
BOT = "github-actions[bot]"  # who writes with the workflow's token


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "pr-comment",
        help="comment the pull request gate's verdict (the workflow_run job)",
        description="Read what the pull request's gate left (the artifact ops-gate-result, as "
        "untrusted data), check with GitHub that the pull request it names is the run's, and "
        "create or edit the one comment with the verdict per project and the findings. "
        "GITHUB_TOKEN (pull-requests: write) and GITHUB_API_URL (default "
        "https://api.github.com) from the environment; the other values from the workflow_run "
        "event. Exit 0 done (or nothing to do), 1 GitHub refused, 2 bad input.",
    )
    event = "github.event.workflow_run"
    parser.add_argument(
        "--result", required=True, metavar="DIR", help="the downloaded artifact ops-gate-result"
    )
    for option, metavar, source in (
        ("--repository", "OWNER/NAME", "github.repository"),
        ("--head-sha", "SHA", f"{event}.head_sha"),
        ("--head-repository", "OWNER/NAME", f"{event}.head_repository.full_name"),
        ("--head-branch", "BRANCH", f"{event}.head_branch"),
        ("--run-url", "URL", f"{event}.html_url"),
    ):
        parser.add_argument(option, required=True, metavar=metavar, help=f"from {source}")
    parser.add_argument(
        "--author",
        default=BOT,
        metavar="LOGIN",
        help=f"whose comment is edited: the token's account (default: {BOT})",
    )


def _check(args: argparse.Namespace) -> None:
    from checks.findings import shorten
    from checks.prcomment.artifact import SHA

    problems = [
        (args.repository, REPOSITORY, "--repository", "OWNER/NAME of a GitHub repository"),
        (args.head_repository, REPOSITORY, "--head-repository", "OWNER/NAME"),
        (args.head_sha, SHA, "--head-sha", "a commit's full SHA in lowercase hex"),
        (args.run_url, RUN_URL, "--run-url", "an http(s) URL without spaces or brackets"),
        (args.author, LOGIN, "--author", "a GitHub login such as github-actions[bot]"),
    ]
    for value, form, option, expected in problems:
        if not form.fullmatch(value):
            raise OpsError(f"{option} {shorten(value)} must be {expected}")
    branch = args.head_branch
    if not branch or len(branch) > 255 or not branch.isprintable():
        raise OpsError(f"--head-branch {shorten(branch)} must be a branch name")


def run(args: argparse.Namespace) -> int:
    from checks import github
    from checks.github import DEFAULT_API, GitHub
    from checks.prcomment import artifact, post, render

    _check(args)
    result = artifact.read(Path(args.result))
    number, outcome = result.pull.number, result.outcome
    if result.pull.head_sha != args.head_sha:
        raise OpsError(
            f"pull-request.json is for commit {result.pull.head_sha[:12]}, the run for "
            f"{args.head_sha[:12]}: not this run's artifact; nothing is done"
        )
    token = github.token("set GITHUB_TOKEN (a token that may write pull requests' comments)")
    api = GitHub(
        os.environ.get("GITHUB_API_URL", DEFAULT_API),
        token,
        args.repository,
        permission="pull-requests: write",
    )
    at = post.Run(args.repository, args.head_sha, args.head_repository, args.head_branch)
    if not post.at_head(api, number, at):
        say(
            f"{args.repository}#{number} has moved on from {args.head_sha[:7]}: the newer "
            "push's run comments; nothing done"
        )
        return EXIT_OK
    text = render.body(outcome, args.head_sha, args.run_url)
    passed = outcome.kind == "passed"
    say(post.publish(api, number, text, passed=passed, login=args.author))
    if outcome.kind == "unreadable":  # said on the pull request, and a failure of this job
        raise OpsError(f"the gate's result cannot be read: {outcome.reason}")
    return EXIT_OK
