"""Options shared by the commands (``Annotated`` aliases, so each command declares only what it uses)."""

from __future__ import annotations

from typing import Annotated

import typer

from benchling_webhook.constants import DEFAULT_PROFILE, Architecture, EnvVars, ImageBuildMode

ProfileOpt = Annotated[
    str,
    typer.Option(
        "--profile", "-p", envvar=EnvVars.PROFILE, show_envvar=True,
        help="benchling-webhook profile (not an AWS profile: see --aws-profile).",
    ),
]
DEFAULT = DEFAULT_PROFILE
AwsProfileOpt = Annotated[
    str | None,
    typer.Option("--aws-profile", envvar=EnvVars.AWS_PROFILE, show_envvar=True, help="AWS credentials profile."),
]
RegionOpt = Annotated[
    str | None,
    typer.Option("--region", help=f"AWS region (default: the profile's, then {EnvVars.AWS_REGION}, "
                                  f"{EnvVars.AWS_DEFAULT_REGION}, the AWS config file)."),
]
YesOpt = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable JSON on stdout.")]


ImageBuildOpt = Annotated[ImageBuildMode | None, typer.Option(
    "--image-build", case_sensitive=False,
    help="How to make the image when none is named: local Docker, remote AWS CodeBuild, or none "
         "(default: deployment.imageBuild; auto = local when a Docker daemon answers, else remote).")]
ArchitectureOpt = Annotated[Architecture | None, typer.Option(
    "--architecture", case_sensitive=False,
    help="CPU architecture of the image (default: deployment.architecture, x86_64).")]
