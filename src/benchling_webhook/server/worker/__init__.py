"""The worker role: consume the inbox, coalesce per entry, export, package, update canvases."""
