"""Rich renderers for what the stack commands return (synth, deploy plan/events/report, status, destroy).

Domain objects are plain data; this module is the only place that turns them into tables and lines.
Data a user may pipe (the template path, the webhook URL) goes to stdout, narration to stderr.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from benchling_webhook.cli.console import Console

if TYPE_CHECKING:
    from pathlib import Path

    from benchling_webhook.stack.synth import Template


def render_synth(console: Console, template: Template, path: Path) -> None:
    console.success(f"wrote {path} ({template.resource_count} resources, {template.size:,} bytes, "
                    f"synthesized in {template.seconds:.1f} s)")
    if template.needs_upload:
        console.warning(f"the template is over CloudFormation's 51,200-byte inline limit ({template.size:,} "
                        "bytes); deploy uploads it to S3 first")
    console.data(str(path))
