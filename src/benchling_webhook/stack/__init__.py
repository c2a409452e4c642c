"""The CDK stack (``constructs/``, ``app.py``, ``synth.py``) and the CloudFormation deploy engine.

Nothing here imports ``aws_cdk`` at module level except ``constructs/`` and ``app.py``, which are only
imported by ``synth.py`` inside a function, so ``status``/``destroy`` never start node.
"""
