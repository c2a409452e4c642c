"""``benchling-webhook setup``: discovery, live validation, secret storage and the wizard's question flow.

Nothing here imports typer, rich or questionary: the CLI supplies a ``Prompter`` and renders the result.
"""
