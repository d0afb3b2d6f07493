"""The operating rules and the steady-state exit criteria: pure functions over a project's
records (``records.py`` reads them), judged as of a date given by the caller."""
