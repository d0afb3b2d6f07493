"""Reporters for CI systems: GitHub workflow commands and SARIF."""
