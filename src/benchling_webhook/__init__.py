"""benchling-webhook: Benchling notebook entries become Quilt packages.

Importing this package is cheap on purpose (the CLI's ``--help`` path imports it).
"""

__version__ = "0.10.0"
