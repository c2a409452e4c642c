"""The container image: its build context (Dockerfile, wheel, lock) and the ways to build and push it."""
