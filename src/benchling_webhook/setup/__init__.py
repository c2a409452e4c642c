"""``benchling-webhook setup``: the wizard's steps (collect → check → build), discovery, live validation and
secret storage.

Nothing here imports typer, rich or questionary: the CLI supplies an ``Asker`` and renders the result.
"""
