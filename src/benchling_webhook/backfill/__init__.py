"""``benchling-webhook backfill``: package the entries that existed before the app, through the deployed workers.

``listing.py`` lists them (Benchling's list-entries API), ``sender.py`` queues them on the stack's backfill
queue, ``checkpoint.py`` makes a stopped run resumable, ``run.py`` drives it all and follows the workers'
outcomes, ``factory.py`` wires it to a profile. The message and outcome shapes shared with the workers are
in ``server/backfill.py``.
"""
