"""Profiles: the pydantic model of a profile and the store that owns them on disk."""
