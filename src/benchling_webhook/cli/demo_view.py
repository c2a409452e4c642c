"""Rich views of the demo: one panel per story step, then the package's file tree and metadata."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import RenderableType

    from benchling_webhook.sandbox.demo import DemoStep, DemoSummary


def render_step(number: int, step: DemoStep) -> RenderableType:
    from rich.console import Group
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    table = Table(show_edge=False, box=None, pad_edge=False)
    for column in ("webhook", "path", "HTTP", "latency", "answer"):
        table.add_column(column)
    for d in step.deliveries:
        style = "green" if d.status < 300 else "yellow"
        table.add_row(d.event_type, d.path, Text(str(d.status), style=style), f"{d.latency_ms:.1f} ms",
                      Text(str(d.answer.get("status") or d.answer.get("reason") or d.answer)[:60]))
    facts = Text()
    facts.append(f"inbox depth {step.inbox_depth} · exports {step.exports_in_step} in this step "
                 f"({step.exports_total} total) · package revisions {step.revisions_total} · "
                 f"top hash {(step.top_hash or '-')[:12]} · {len(step.s3_objects)} S3 objects · "
                 f"{step.seconds:.1f} s")
    parts: list[Any] = [Text(step.story, style="dim"), table, facts]
    parts += [Text(f"→ {note}", style="cyan") for note in step.notes]
    if step.canvas_text:
        parts.append(Panel(Text(step.canvas_text), title="canvas the scientist sees", expand=False))
    status = "[green]✓[/green]" if step.ok else "[red]✗[/red]"
    return Panel(Group(*parts), title=f"{status} {number}. {step.title}", title_align="left")


def render_summary(summary: DemoSummary) -> RenderableType:
    import json

    from rich.console import Group
    from rich.panel import Panel
    from rich.text import Text
    from rich.tree import Tree

    package = summary.package
    tree = Tree(f"[bold]{package['name']}[/bold]  s3://{package['bucket']}  top hash {package.get('top_hash')}")
    for f in package.get("files", []):
        tree.add(Text(f"{f['key']}  ({f['size']} bytes)"))
    meta = package.get("metadata") or {}
    shown = {k: meta[k] for k in list(meta)[:14]}
    verdict = "[green]demo finished[/green]" if summary.ok else "[red]demo finished with problems[/red]"
    return Group(
        Panel(tree, title="the Quilt package", title_align="left"),
        Panel(Text(json.dumps(shown, indent=2, default=str)[:3000]), title="package metadata (entry.json)",
              title_align="left"),
        Text.from_markup(f"{verdict} in {summary.seconds:.1f} s"),
    )
