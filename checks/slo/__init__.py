"""Weekly SLO reports: definitions, sources of counts, the arithmetic, the document, the post."""
