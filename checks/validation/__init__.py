"""Validation pipeline: discover -> read (cache) -> per file -> cross-document -> findings."""
