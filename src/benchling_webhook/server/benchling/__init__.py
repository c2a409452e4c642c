"""Thin, typed access to Benchling's API (benchling-sdk underneath)."""
