"""Weekly SLO reports: definitions, sources of counts, the arithmetic, the document, the post."""

SOURCES = ("prometheus", "file", "mock")  # where counts come from: metrics.source, --source
