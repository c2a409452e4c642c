"""The webhook server (FastAPI) and its worker: verify, enqueue, export, package, canvas."""
