"""``create_backfill``: a ``BackfillRun`` wired to a deployed profile (or to the local demo environment).

What a deployed backfill needs and where it comes from:

* the Benchling client: the tenant and client credentials in the Secrets Manager secret the profile names
  (``benchling.secretArn``) — the deployed app's own credentials — and ``benchling.baseUrl`` if set;
* the backfill queue: the stack's ``BackfillQueueUrl`` output (a stack deployed before backfill existed
  has none: deploy it again);
* the outcome markers: the profile's package bucket;
* the checkpoint: the profile's directory.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from benchling_webhook.backfill.checkpoint import CheckpointStore
from benchling_webhook.backfill.listing import EntryFilter, EntryLister
from benchling_webhook.backfill.run import BackfillRun, OutcomeCounter
from benchling_webhook.backfill.sender import DryRunSender, EntrySender, Installation, QueueSender
from benchling_webhook.config.models import ProfileConfig
from benchling_webhook.config.values import benchling_url
from benchling_webhook.constants import StackOutputs, stack_name_for


@dataclass(frozen=True)
class BackfillOptions:
    """What the user asked for on the command line."""

    entry_filter: EntryFilter
    app_id: str | None = None
    dry_run: bool = False
    rate: float | None = None
    wait: bool = True
    restart: bool = False


def create_run(client: Any, options: BackfillOptions, *, installation: Installation,
               sqs: Any | None, queue_url: str | None, s3: Any | None, bucket: str,
               checkpoints: CheckpointStore | None, **tuning: Any) -> BackfillRun:
    """A run over explicit parts (the demo and tests use it directly)."""
    flt = options.entry_filter

    def lister(until: datetime) -> EntryLister:
        return EntryLister(client, flt, until)

    def sender(run_id: str) -> EntrySender:
        if options.dry_run or sqs is None or queue_url is None:
            return DryRunSender()
        return QueueSender(sqs, queue_url, run_id, installation)

    return BackfillRun(lister, sender, fingerprint=flt.fingerprint(options.app_id or "", installation.base_url),
                       checkpoints=None if options.dry_run else checkpoints,
                       outcomes=None if options.dry_run or s3 is None else OutcomeCounter(s3, bucket),
                       until=flt.until, rate=options.rate, wait=options.wait, restart=options.restart, **tuning)


def create_backfill(profile_name: str, profile: ProfileConfig, options: BackfillOptions, *,
                    aws_client: Callable[[str], Any], checkpoint_dir: Path, **tuning: Any) -> tuple[BackfillRun, Any]:
    """The run for a deployed profile and the Benchling client it lists with (the caller closes it).

    Args:
        aws_client: ``service name -> boto3 client`` in the deployment's region.
        checkpoint_dir: the profile's backfill directory.
    """
    from benchling_webhook.ops.outputs import read_deployed_stack
    from benchling_webhook.server.benchling.client import BenchlingClient
    from benchling_webhook.server.secrets import parse_secret

    queue_url = None
    if not options.dry_run:
        stack = read_deployed_stack(aws_client("cloudformation"), stack_name_for(profile_name), profile_name)
        queue_url = stack.output(StackOutputs.BACKFILL_QUEUE_URL, "backfill queue", profile_name)
    secret_id = profile.benchling.secret_arn
    if not secret_id:
        from benchling_webhook.errors import ConfigError

        raise ConfigError("benchling.secretArn is not set: the backfill lists entries with the app's credentials",
                          hint=f"run: benchling-webhook setup --profile {profile_name}")
    credentials = parse_secret(aws_client("secretsmanager").get_secret_value(SecretId=secret_id)["SecretString"],
                               secret_id)
    base_url = benchling_url(credentials.tenant, profile.benchling.base_url)
    client = BenchlingClient(base_url, credentials.client_id, credentials.client_secret.get_secret_value())
    installation = Installation(base_url=base_url, app_id=options.app_id,
                                app_definition_id=credentials.app_definition_id or profile.benchling.app_definition_id)
    run = create_run(client, options, installation=installation, sqs=None if options.dry_run else aws_client("sqs"),
                     queue_url=queue_url, s3=aws_client("s3"), bucket=profile.packages.bucket,
                     checkpoints=CheckpointStore(checkpoint_dir), **tuning)
    return run, client
