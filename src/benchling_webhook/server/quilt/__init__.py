"""Reading Quilt's registry in S3: latest manifests (``manifest.py``), linked packages via Athena (``athena.py``)."""
