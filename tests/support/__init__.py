"""Shared test helpers (plain modules, imported by tests)."""
