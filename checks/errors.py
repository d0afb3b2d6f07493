"""The one exception type that carries messages meant for people."""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_CRASH = 3


class OpsError(Exception):
    """A problem the user can fix: printed without a traceback, exit code 2."""

    exit_code = EXIT_USAGE

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line

    def __str__(self) -> str:
        """One printable line: ``path:line: message``."""
        from checks.findings import printable, shown_path

        where = ""
        if self.path is not None:
            path = shown_path(self.path)
            where = f"{path}:{self.line}: " if self.line is not None else f"{path}: "
        return printable(f"{where}{self.message}")
