"""The ``benchling-webhook`` command line: thin typer commands over the domain packages."""
