"""Local stand-ins for the outside world: an AWS emulator (moto server) and a Benchling sandbox.

Used by ``demo``, ``serve --local`` and the tests; nothing here reaches the internet.
"""
