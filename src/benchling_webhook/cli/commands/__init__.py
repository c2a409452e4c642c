"""One module per command; each is registered in ``cli/app.py``."""
