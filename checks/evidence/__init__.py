"""The evidence trail: evidence/phase6/run.log, manifest.json and validation.md."""
