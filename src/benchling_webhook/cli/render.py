"""Rich renderers for what the commands return: synth, deploy plan/events/report, status, destroy, the setup
summary, the smoke-test report and the demo's steps.

Domain objects are plain data; this module is the only place that turns them into tables and lines.
Data a user may pipe (the template path, the webhook URL) goes to stdout, narration to stderr.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from benchling_webhook.cli.console import Console
from benchling_webhook.constants import EnvVars
from benchling_webhook.stack.report import ROUTING_REMINDER

if TYPE_CHECKING:
    from pathlib import Path

    from rich.console import RenderableType

    from benchling_webhook.aws.cloudformation import StackEvent
    from benchling_webhook.config.models import ProfileConfig
    from benchling_webhook.ops.dlq import DeadLetterState
    from benchling_webhook.ops.smoke import SmokeReport
    from benchling_webhook.ops.status import StackStatus
    from benchling_webhook.sandbox.demo import DemoStep, DemoSummary
    from benchling_webhook.setup.wizard import SetupResult
    from benchling_webhook.stack.cost import CostEstimate
    from benchling_webhook.stack.destroy import DestroyResult
    from benchling_webhook.stack.plan import DeployPlan
    from benchling_webhook.stack.report import DeploymentReport
    from benchling_webhook.stack.synth import Template


def render_synth(console: Console, template: Template, path: Path) -> None:
    console.success(f"wrote {path} ({template.resource_count} resources, {template.size:,} bytes, "
                    f"synthesized in {template.seconds:.1f} s)")
    if template.needs_upload:
        console.warning(f"the template is over CloudFormation's 51,200-byte inline limit ({template.size:,} "
                        "bytes); deploy uploads it to S3 first")
    console.data(str(path))


UNVERIFIED_WARNING = ("webhook signature verification is OFF in this profile (security.enableVerification: "
                      "false): anyone who finds the URL can queue events")


def warn_if_unverified(console: Console, config: ProfileConfig) -> None:
    if not config.security.enable_verification:
        console.warning(UNVERIFIED_WARNING)


def ask(question: str) -> bool:
    """A yes/no question on stderr; no answer (EOF, no TTY) means no."""
    import click

    try:
        return bool(click.confirm(question, default=False, err=True))
    except click.exceptions.Abort:
        return False


def _elapsed(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


_ACTION_STYLE = {"Add": "green", "Modify": "yellow", "Remove": "red", "Import": "cyan", "Dynamic": "yellow"}


def render_plan(console: Console, plan: DeployPlan) -> None:
    from rich.table import Table

    if plan.is_empty:
        console.info(f"{plan.stack_name} is up to date: no changes to deploy")
        return
    verb = "create" if plan.action == "create" else "update"
    console.info(f"{verb} {plan.stack_name} in {plan.region}: {plan.summary()}")
    table = Table(show_edge=False, pad_edge=False)
    for column in ("change", "resource", "type", "replacement"):
        table.add_column(column)
    for change in plan.changes:
        replace = "REPLACE" if change.replacement == "True" else "maybe" if change.replacement == "Conditional" else ""
        table.add_row(f"[{_ACTION_STYLE.get(change.action, '')}]{change.action}[/]", _text(change.logical_id),
                      _text(change.resource_type), f"[bold red]{replace}[/]" if replace else "")
    console.render(table)
    for change in plan.replaced:
        console.warning(f"{change.logical_id} ({change.resource_type}) will be replaced")
    for warning in plan.warnings:
        console.warning(warning)
    if plan.cost is not None:
        render_cost(console, plan.cost)


def render_cost(console: Console, cost: CostEstimate) -> None:
    priced = "" if cost.priced_as == cost.region else f", priced as {cost.priced_as}"
    console.info(f"estimated fixed monthly cost: ~${cost.total:,.2f} (on-demand{priced})")
    for line in cost.lines:
        console.info(f"  ${line.monthly:>8,.2f}  {line.item}")
    for saving in cost.savings:
        console.info(f"  option: {saving}")


def _text(value: str) -> Any:
    from rich.text import Text

    return Text(value)


class RichDeployObserver:
    """The deploy pipeline's narrator: stages, the plan, the confirmation, and a live event view."""

    def __init__(self, console: Console, *, yes: bool = False, clock: Callable[[], float] = time.monotonic) -> None:
        self.console = console
        self.yes = yes
        self.clock = clock
        self.started = clock()
        self._live: Any = None
        self._rows: dict[str, tuple[str, str, str]] = {}

    def __enter__(self) -> RichDeployObserver:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def stage(self, text: str) -> None:
        self.close()
        self.console.info(f"· {text}")

    def log(self, line: str) -> None:
        self.close()
        self.console.info(f"  │ {line}")

    def confirm(self, question: str) -> bool:
        return self.yes or ask(question)

    def review(self, plan: DeployPlan, ask_first: bool = True) -> bool:
        render_plan(self.console, plan)
        if plan.is_empty or self.yes or not ask_first:
            return True
        return ask("Deploy these changes?")

    def event(self, event: StackEvent) -> None:
        elapsed = _elapsed(self.clock() - self.started)
        if self.console.quiet:
            return
        if not self.console.err.is_terminal:
            reason = f"  {event.reason}" if event.reason and event.reason != "User Initiated" else ""
            self.console.info(f"  {elapsed:>6}  {event.status:<28} {event.resource_type:<40} {event.logical_id}"
                              f"{reason}")
            return
        from rich.live import Live

        self._rows[event.logical_id] = (event.status, event.resource_type, event.reason)
        if self._live is None:
            self._live = Live(console=self.console.err, refresh_per_second=4, transient=False)
            self._live.start()
        self._live.update(self._table(elapsed))

    def _table(self, elapsed: str) -> Any:
        from rich.table import Table

        table = Table(title=f"CloudFormation events · {elapsed}", title_justify="left", show_edge=False)
        for column in ("status", "resource", "type", "reason"):
            table.add_column(column)
        for logical_id, (status, type_, reason) in list(self._rows.items())[-25:]:
            style = "red" if "FAILED" in status else "green" if status.endswith("COMPLETE") else "yellow"
            table.add_row(f"[{style}]{status}[/]", _text(logical_id), _text(type_), _text(reason))
        return table

    def close(self) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None


def render_deploy_report(console: Console, report: DeploymentReport) -> None:
    if report.dry_run:
        console.success(f"dry run: {report.stack_name} not changed ({report.summary}); the change set was discarded")
        return
    if not report.changed:
        console.success(f"{report.stack_name} is up to date ({report.status})")
    else:
        console.success(f"deployed {report.stack_name} in {_elapsed(report.seconds)} ({report.status})")
    render_outputs(console, report.outputs)
    if report.webhook_url:
        console.info(ROUTING_REMINDER)
        console.data(report.webhook_url)


def render_outputs(console: Console, outputs: dict[str, str]) -> None:
    from rich.table import Table

    if not outputs:
        return
    table = Table(show_header=False, show_edge=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column()
    for key, value in sorted(outputs.items()):
        table.add_row(_text(key), _text(value))
    console.render(table)


def render_destroy(console: Console, result: DestroyResult) -> None:
    if not result.existed:
        console.info(f"stack {result.stack_name} does not exist in {result.region}: nothing to delete")
        return
    console.success(f"deleted {result.stack_name} in {result.region} ({_elapsed(result.seconds)})")


def status_json(status: StackStatus) -> dict[str, Any]:
    from dataclasses import asdict

    return asdict(status)


def render_status(console: Console, status: StackStatus, profile: str = "default") -> None:
    """Stack line, outputs, service counts, health and dead letters; the webhook URL goes to stdout."""
    if not status.exists:
        console.info(f"stack {status.stack_name} does not exist in {status.region}")
        console.info("hint: deploy it with: benchling-webhook deploy")
        return
    stack_status = status.status or ""
    style = "red" if "FAILED" in stack_status or "ROLLBACK" in stack_status else (
        "yellow" if stack_status.endswith("IN_PROGRESS") else "green")
    from rich.text import Text

    line = Text(f"stack {status.stack_name} ({status.region}): ")
    line.append(stack_status, style=style)
    if status.reason:
        line.append(f" — {status.reason}")
    console.render(line)
    render_outputs(console, status.outputs)
    service = status.service
    if service is not None:
        rollout = f", rollout {service.rollout_state}" if service.rollout_state else ""
        console.info(f"service {service.service}: {service.running}/{service.desired} running, {service.pending} "
                     f"pending{rollout}" + (f" ({service.failed_tasks} failed tasks)" if service.failed_tasks else ""))
        if service.rollout_state == "FAILED" and service.rollout_reason:
            console.warning(f"rollout failed: {service.rollout_reason}")
    if status.service is not None and status.service.verification is False:
        console.warning(f"webhook signature verification is OFF ({EnvVars.ENABLE_WEBHOOK_VERIFICATION}=false): "
                        "anyone who finds the URL can queue events; set security.enableVerification: true "
                        "and deploy")
    health = status.health
    if health is not None:
        if health.ok:
            console.success(f"endpoint healthy: {health.detail or 'ok'} in {health.latency_ms:.0f} ms")
        else:
            code = f"HTTP {health.status_code}" if health.status_code else "no answer"
            console.warning(f"endpoint unhealthy: {code} {health.detail}".rstrip())
    render_metrics(console, status.metrics)
    if status.dead_letters is not None:
        render_dead_letters(console, status.dead_letters, profile)
    for alarm in status.alarms:
        console.warning(f"alarm {alarm.short_name} is in ALARM: {alarm.reason}".rstrip(": "))
        if alarm.hint:
            console.info(f"  hint: {alarm.hint}")
    if status.last_deployment:
        last = status.last_deployment
        console.info(f"last deploy: {last.get('time', '?')} by {last.get('who', '?')} ({last.get('image', '')})")
    if status.outputs.get("WebhookEndpoint"):
        console.data(status.outputs["WebhookEndpoint"])


def _age(seconds: float) -> str:
    """A queue message's age: 45s, 12m, 3h 05m, 2d 04h."""
    s = int(seconds)
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m"
    if s < 86400:
        return f"{s // 3600}h {s % 3600 // 60:02d}m"
    return f"{s // 86400}d {s % 86400 // 3600:02d}h"


def render_dead_letters(console: Console, state: DeadLetterState, profile: str) -> None:
    """One line: the DLQ's depth and its oldest message's age; when it holds any, how to send them back."""
    from benchling_webhook.ops.dlq import redrive_command

    if state.depth is None:
        console.warning(f"dead-letter queue unreadable: {state.error}")
    elif state.empty:
        console.info("dead-letter queue: empty")
    else:
        age = "" if state.oldest_age_s is None else \
            f", oldest {'≥ ' if state.age_is_lower_bound else ''}{_age(state.oldest_age_s)} old"
        console.warning(f"dead-letter queue: {state.depth:,} messages{age}")
        console.info(f"  hint: see why and send them back: {redrive_command(profile)} (--dry-run first to look)")


def render_metrics(console: Console, metrics: dict[str, float | None]) -> None:
    """One line: the last hour's requests, errors, p99 latency, inbox/DLQ depth, CPU and memory."""
    if not metrics or all(v is None for v in metrics.values()):
        return

    def fmt(key: str, unit: str = "", digits: int = 0) -> str:
        value = metrics.get(key)
        return "n/a" if value is None else f"{value:,.{digits}f}{unit}"

    console.info(f"last hour: {fmt('requests')} requests, {fmt('errors_5xx')} 5xx, p99 {fmt('latency_p99_ms', ' ms')}, "
                 f"inbox {fmt('inbox_depth')}, DLQ {fmt('dlq_depth')}, CPU {fmt('cpu_percent', '%', 1)}, "
                 f"memory {fmt('memory_percent', '%', 1)}")


def render_setup_summary(console: Console, result: SetupResult, profile: str) -> None:
    """The profile setup is about to save, one row per decision, then its estimated monthly cost."""
    from rich.table import Table

    from benchling_webhook.stack.cost import estimate_monthly_cost

    config = result.config
    quilt, benchling, packages, deployment = config.quilt, config.benchling, config.packages, config.deployment
    vpc = deployment.vpc
    cost = estimate_monthly_cost(deployment, deployment.region)
    table = Table(title=f"Profile '{profile}'", show_header=False, title_justify="left")
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    rows = [
        ("Quilt catalog", quilt.catalog or "-"), ("Quilt stack", quilt.stack_arn or "-"),
        ("Packager queue", quilt.queue_url or "- (direct mode: quilt3)"), ("Athena database", quilt.database or "-"),
        ("Benchling", f"{benchling.tenant}.benchling.com, app {benchling.app_definition_id}"),
        ("Client id", benchling.client_id),
        ("Client secret", "Secrets Manager: " + ("unchanged" if result.secret is None else "will be written")),
        ("Packages", f"s3://{packages.bucket}/{packages.prefix}/<entry> (metadata key {packages.metadata_key})"),
        ("Quilt workflow", packages.workflow or "- (none named)"),
        ("Region", deployment.region), ("Image", deployment.image_uri or "built at deploy"),
        ("VPC", f"{vpc.vpc_id} ({', '.join(vpc.private_subnet_ids) or 'subnets not discovered'})" if vpc
         else "new (2 AZs, NAT gateways)"),
        *_sizing_rows(config),
        ("Monthly cost", f"~${cost.total:,.2f} fixed, estimated (breakdown below)"),
    ]
    for key, value in rows:
        table.add_row(key, _text(value))
    console.info("")
    console.info("Step 5/5 · Summary")
    console.render(table)
    warn_if_unverified(console, config)
    render_cost(console, cost)
    for note in result.notes:
        console.warning(note)


def _sizing_rows(config: ProfileConfig) -> list[tuple[str, str]]:
    """The sizing/cost options and, with an Athena database, where linked-package queries run."""
    from benchling_webhook.stack.inputs import athena_results_location

    d = config.deployment
    ha = "one per AZ, HA" if d.nat_gateways > 1 else "no HA"
    nat = "- (the existing VPC's own)" if d.vpc else f"{d.nat_gateways} ({ha})"
    rows = [("NAT gateways", nat),
            ("Tasks", f"{d.min_tasks} to {d.max_tasks} x {d.cpu / 1024:g} vCPU / {d.memory / 1024:g} GB "
                      f"(cpu {d.cpu}, memory {d.memory})"),
            ("Fargate Spot", "on (1 on-demand task, the rest on Spot)" if d.fargate_spot else "off"),
            ("Alarm email", d.alarm_email or "- (alarms without notifications)")]
    if config.quilt.database and config.quilt.create_athena_workgroup:
        rows.append(("Athena", "a workgroup the stack creates, results managed by Athena (no bucket)"))
    elif config.quilt.database:
        rows.append(("Athena", f"workgroup {config.quilt.athena_workgroup or 'primary'}, results "
                               f"{athena_results_location(config)}"))
    return rows


def render_smoke_report(console: Console, report: SmokeReport) -> None:
    """A table of checks (status, latency, detail) on stdout, then the verdict on stderr."""
    from rich.table import Table
    from rich.text import Text

    table = Table(title=f"Smoke test of {report.base_url}", title_justify="left")
    for name, kwargs in (("check", {}), ("request", {}), ("HTTP", {"justify": "right"}),
                         ("latency", {"justify": "right"}), ("result", {}), ("detail", {"overflow": "fold"})):
        table.add_column(name, **kwargs)  # type: ignore[arg-type]
    for check in report.checks:
        verdict = Text("pass", style="green") if check.passed else Text("FAIL", style="bold red")
        table.add_row(Text(check.name), Text(f"{check.method} {check.path}"), Text(str(check.status or "-")),
                      Text(f"{check.latency_ms:.0f} ms" if check.latency_ms is not None else "-"), verdict,
                      Text(check.detail))
    console.print(table)
    stats = report.latency_summary()
    if stats:
        console.info(f"latency: min {stats[0]:.0f} ms, median {stats[1]:.0f} ms, max {stats[2]:.0f} ms")
    if report.passed:
        console.success(f"all {len(report.checks)} checks passed")


def render_demo_step(number: int, step: DemoStep) -> RenderableType:
    """One story step of the demo: its webhooks in a table, what changed, and the canvas text."""
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


def render_demo_summary(summary: DemoSummary) -> RenderableType:
    """The demo's package: its file tree and metadata, then the verdict."""
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
