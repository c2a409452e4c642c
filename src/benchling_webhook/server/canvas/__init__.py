"""The Benchling App canvas: blocks, views, app state in the canvas ``data`` field, and the worker hooks."""
