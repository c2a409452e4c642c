"""The profile's Benchling secret in AWS Secrets Manager.

The client secret never touches the profile file: ``setup`` writes
``{"tenant","client_id","client_secret","app_definition_id"}`` (docs/container.md) to the secret
``benchling-webhook/<profile>`` in the deployment region and the profile keeps only its ARN. Re-running
setup updates the same secret (a new version) instead of creating another one; a moved region creates a
new secret there.
"""

from __future__ import annotations

import json
from typing import Any

from benchling_webhook.aws.errors import error_code
from benchling_webhook.config.secret import BenchlingCredentials
from benchling_webhook.constants import APP_NAME
from benchling_webhook.errors import ValidationFailedError


def secret_name_for(profile: str) -> str:
    return f"{APP_NAME}/{profile}"


def region_of_arn(arn: str | None) -> str | None:
    """``arn:aws:secretsmanager:<region>:...`` → region (``None`` for names)."""
    parts = (arn or "").split(":")
    return parts[3] if len(parts) > 4 and parts[0] == "arn" and parts[3] else None


def read_benchling_secret(secretsmanager: Any, secret_id: str) -> dict[str, Any]:
    """The stored secret document (to keep its client secret when a re-run does not change it)."""
    import botocore.exceptions

    try:
        value = secretsmanager.get_secret_value(SecretId=secret_id)["SecretString"]
    except botocore.exceptions.ClientError as exc:
        raise ValidationFailedError(
            f"cannot read the stored Benchling secret {secret_id} ({error_code(exc)})",
            hint="enter the client secret again, or check the --aws-profile / --region",
        ) from None
    try:
        data = json.loads(value)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise ValidationFailedError(f"the stored secret {secret_id} is not a JSON object",
                                    hint="enter the client secret again to replace it")
    return data


def store_benchling_secret(secretsmanager: Any, profile: str, secret: BenchlingCredentials,
                           existing_arn: str | None = None) -> str:
    """Create or update the profile's secret; returns its ARN."""
    import botocore.exceptions

    if existing_arn:
        try:
            return str(secretsmanager.put_secret_value(SecretId=existing_arn, SecretString=secret.to_json())["ARN"])
        except botocore.exceptions.ClientError as exc:
            if error_code(exc) != "ResourceNotFoundException":
                raise
    name = secret_name_for(profile)
    try:
        response = secretsmanager.create_secret(
            Name=name, SecretString=secret.to_json(),
            Description=f"Benchling app credentials for the benchling-webhook profile '{profile}'",
            Tags=[{"Key": "benchling-webhook:profile", "Value": profile}],
        )
    except botocore.exceptions.ClientError as exc:
        if error_code(exc) != "ResourceExistsException":
            raise
        response = secretsmanager.put_secret_value(SecretId=name, SecretString=secret.to_json())
    return str(response["ARN"])
