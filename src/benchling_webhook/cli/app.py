"""The root Typer app, its global options and the CLI's single error boundary.

The boundary lives in ``_BoundaryGroup.invoke`` rather than around ``app()`` so that typer's
``CliRunner`` passes through it too: tests see exactly what a user sees.

Heavy libraries (aws_cdk, boto3, fastapi, benchling_sdk, quilt3) are imported inside the commands that
use them, never here: ``--help`` stays fast and ``logs``/``status`` never start node.
"""

from __future__ import annotations

import os
import sys
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from benchling_webhook import __version__
from benchling_webhook.cli.console import Console
from benchling_webhook.cli.context import CliContext
from benchling_webhook.constants import EnvVars


def _translate_foreign(exc: BaseException) -> tuple[str, str | None] | None:
    """botocore's well-known failures, said as sentences with a hint (botocore imported only if seen)."""
    module = type(exc).__module__
    if not module.startswith(("botocore", "boto3")):
        return None
    name = type(exc).__name__
    if name in {"NoCredentialsError", "PartialCredentialsError"}:
        return ("no AWS credentials found", "configure them (aws configure / aws sso login) or pass --aws-profile")
    if name == "NoRegionError":
        return ("no AWS region configured", f"pass --region or set {EnvVars.AWS_REGION}")
    if name == "ProfileNotFound":
        return (str(exc), "list your AWS profiles with: aws configure list-profiles")
    if name in {"EndpointConnectionError", "ConnectTimeoutError", "ReadTimeoutError"}:
        return (f"cannot reach AWS: {exc}", "check your network and --region")
    from benchling_webhook.aws.errors import service_error

    if (refused := service_error(exc)) is not None:
        return (f"AWS refused: {refused.code}: {refused.message or exc}", refused.hint)
    return None


try:  # typer >= 0.20 vendors click: its --help exit and usage errors are not click's classes
    from typer.exceptions import TyperException

    _PASS_THROUGH: tuple[type[BaseException], ...] = (typer.Exit, typer.Abort, TyperException)
except ImportError:  # pragma: no cover - older typer uses click itself
    import click

    _PASS_THROUGH = (click.exceptions.Exit, click.exceptions.Abort, click.ClickException)


class _BoundaryGroup(TyperGroup):
    """Turns every error into one sentence + hint and an exit code; tracebacks only with --debug."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except _PASS_THROUGH:
            raise
        except KeyboardInterrupt:
            Console().error("interrupted")
            raise typer.Exit(130) from None
        except Exception as exc:
            from benchling_webhook.errors import BenchlingWebhookError

            obj = ctx.obj if isinstance(ctx.obj, CliContext) else CliContext()
            console = obj.console
            debug = obj.debug or os.environ.get(EnvVars.DEBUG) == "1"
            if isinstance(exc, BenchlingWebhookError):
                console.error(exc.message, exc.hint)
                code = exc.exit_code
            elif (said := _translate_foreign(exc)) is not None:
                console.error(*said)
                code = 1
            else:
                console.error(f"unexpected error: {type(exc).__name__}: {exc}",
                              "re-run with --debug for the traceback, and report it if it persists")
                code = 1
            if debug:
                import traceback

                traceback.print_exception(exc, file=sys.stderr)
            raise typer.Exit(code) from None


app = typer.Typer(
    cls=_BoundaryGroup,
    name="benchling-webhook",
    help="Connect Benchling notebook entries to Quilt packages: set up, deploy, operate, and demo.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    pretty_exceptions_enable=False,
    add_completion=False,
    # Plain click help: rich's help renderer costs ~0.12 s of imports on every --help.
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"benchling-webhook {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    ctx: typer.Context,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="More detail on stderr.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only data and errors.")] = False,
    debug: Annotated[bool, typer.Option(
        "--debug", help=f"Tracebacks for unexpected errors (env var: {EnvVars.DEBUG}=1).")] = False,
    version: Annotated[bool | None, typer.Option("--version", callback=_version, is_eager=True,
                                                 help="Print the version and exit.")] = None,
) -> None:
    ctx.obj = CliContext(verbose=verbose, quiet=quiet, debug=debug,
                         console=Console(quiet=quiet, verbose=verbose))


def _register() -> None:
    from benchling_webhook.cli.commands import (
        backfill,
        config,
        demo,
        deploy,
        destroy,
        image,
        logs,
        manifest,
        redrive,
        serve,
        setup,
        status,
        synth,
        test,
    )

    app.add_typer(config.app, name="config")
    app.add_typer(image.app, name="image")
    for command in (manifest.manifest, setup.setup, logs.logs, test.test, synth.synth, deploy.deploy,
                    destroy.destroy, status.status, serve.serve, demo.demo, backfill.backfill, redrive.redrive):
        app.command()(command)  # named after the function


_register()


def main() -> None:
    """Console-script entry point."""
    app()
