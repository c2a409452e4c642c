"""Rich rendering of log events (``logs``).

Log lines are data (stdout, pipeable); the surrounding narration goes to stderr through ``Console``.
Everything interpolated is wrapped in ``Text`` so brackets in log lines are never read as markup.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from benchling_webhook.ops.logs import FIELD_LABELS

if TYPE_CHECKING:
    from rich.text import Text

    from benchling_webhook.cli.console import Console
    from benchling_webhook.ops.logs import LogEvent

LEVEL_STYLES = {"DEBUG": "dim", "INFO": "green", "WARNING": "yellow", "ERROR": "bold red", "CRITICAL": "bold red"}
SOURCE_STYLES = {"service": "cyan", "api": "magenta"}
_LABELS = dict(FIELD_LABELS)


def render_log_event(event: LogEvent) -> Text:
    """``2026-01-02 10:00:00.123Z service INFO    webhook queued  event=… entry=… webhook=…``"""
    from rich.text import Text

    line = Text()
    line.append(event.time.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] + "Z ", style="dim")
    line.append(f"{event.source:<8}", style=SOURCE_STYLES.get(event.source, "blue"))
    level = event.level or "-"
    line.append(f"{level:<8}", style=LEVEL_STYLES.get(level, ""))
    line.append(event.text)
    shown = [k for k, _ in FIELD_LABELS if k in event.fields]
    shown += [k for k in event.fields if k not in _LABELS and not (k == "path" and event.source == "api")]
    for key in shown:
        line.append(f"  {_LABELS.get(key, key)}=", style="dim")
        line.append(event.fields[key])
    return line


def print_log_event(console: Console, event: LogEvent, as_json: bool) -> None:
    if as_json:
        console.data(json.dumps(event.to_dict(), separators=(",", ":")))
    else:
        console.out.print(render_log_event(event), soft_wrap=True)

