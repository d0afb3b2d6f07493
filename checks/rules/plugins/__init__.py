"""One module per operating rule, each with ``check(records, settings, as_of)``."""
