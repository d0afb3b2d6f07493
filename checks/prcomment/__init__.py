"""The pull request gate's verdict as one comment on the pull request (``ops pr-comment``).

The gate of a pull request runs without a write token; a later job (on ``workflow_run``, the
default branch's workflow) takes what it left, the artifact ``ops-gate-result``, and comments.
For a fork's pull request that artifact is the fork's to write: :mod:`.artifact` reads it as
hostile data, :mod:`.render` turns it into Markdown that can mention, link or show nothing
(pure), and :mod:`.post` checks the pull request is the run's before it creates or edits the
one comment. See docs/pr-comment.md.
"""
