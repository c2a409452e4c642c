"""The setup wizard: five steps from nothing (or an existing profile) to a valid profile.

1. Quilt catalog → region (``config.json``) → Quilt stack (``QuiltWebHost``) → its outputs, or values by hand;
   with an Athena database, the workgroup and results location of linked-package queries (``athena.py``);
2. Benchling tenant, app and client credentials (validated with a real token request);
3. package bucket (validated), prefix, metadata key;
4. deployment region, image, existing VPC (validated) or a new one; sizing and cost options, each shown
   with what it costs or saves (``sizing.py``);
5. the result: a ``SetupResult`` the CLI summarises and ``save_setup`` writes.

Every value comes from its flag if given, else from the prompter with the existing profile's value as
the default. Interactive runs validate each step right away and offer to re-enter it; non-interactive
runs first collect everything (so one error lists every missing flag) and then run the checks.
Nothing is written until ``save_setup``: Ctrl-C at any prompt leaves the old profile as it was.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from benchling_webhook.config.models import (
    BenchlingConfig,
    DeploymentConfig,
    PackagesConfig,
    ProfileConfig,
    QuiltConfig,
    VpcConfig,
    normalize_catalog,
)
from benchling_webhook.config.secret import BenchlingCredentials
from benchling_webhook.config.values import normalize_tenant
from benchling_webhook.errors import BenchlingWebhookError, ConfigError
from benchling_webhook.setup.athena import ask_athena
from benchling_webhook.setup.questions import NEW_VPC, QUESTIONS, Choice, Notify, Prompter
from benchling_webhook.setup.secrets import region_of_arn
from benchling_webhook.setup.services import SetupServices
from benchling_webhook.setup.sizing import ask_sizing
from benchling_webhook.setup.validate import normalize_bucket

STEPS = ("Quilt catalog", "Benchling app", "Packages", "Deployment")


class SetupCancelled(BenchlingWebhookError):
    """The user chose to stop; nothing was saved."""

    def __init__(self, why: str, hint: str | None = None) -> None:
        super().__init__(f"setup stopped {why}; nothing was saved", hint=hint)


@dataclass
class SetupResult:
    """The new profile (secret ARN still the old one) and the secret to write, if it changed."""

    config: ProfileConfig
    secret: BenchlingCredentials | None
    notes: list[str] = field(default_factory=list)


class SetupWizard:
    """Asks, discovers and validates; returns a ``SetupResult`` and writes nothing."""

    def __init__(self, prompter: Prompter, services: SetupServices, *, profile: str,
                 existing: ProfileConfig | None = None, flags: Mapping[str, str | None] | None = None,
                 skip_validation: bool = False, notify: Notify | None = None,
                 progress: Callable[[str], AbstractContextManager[Any]] | None = None) -> None:
        self.prompter = prompter
        self.services = services
        self.profile = profile
        self.existing = existing
        self.flags = {k: v for k, v in (flags or {}).items() if v is not None}
        self.skip_validation = skip_validation
        self.notify: Notify = notify or (lambda level, text: None)
        # ``progress(text)`` wraps each slow call (a spinner in a terminal); no-op by default.
        self.progress: Callable[[str], AbstractContextManager[Any]] = progress or (lambda text: nullcontext())
        self._pending: list[Callable[[], None]] = []
        self._stored_secret: dict[str, Any] | None = None
        self._benchling_values: dict[str, str | None] = {}
        self._bucket_region: str | None = None
        self.answers: dict[str, str | None] = {}
        self.notes: list[str] = []

    # -- asking -----------------------------------------------------------------------------------------
    def ask(self, name: str, default: str | None = None, *, reprompt: bool = False, **changes: Any) -> str | None:
        """Flag value (checked) or the prompter's answer; ``reprompt`` ignores the flag after a failed check."""
        question = replace(QUESTIONS[name], **changes) if changes else QUESTIONS[name]
        flag = None if reprompt else self.flags.get(name)
        if flag is not None:
            problem = question.problem(flag)
            if problem is None:
                self.answers[name] = flag.strip()
                return flag.strip()
            if not self.prompter.interactive:
                raise ConfigError(f"{question.flag} '{flag}': {problem}", hint=f"fix the value of {question.flag}")
            self.notify("warning", f"{question.flag} '{flag}': {problem}")
            default = flag
        value = self.prompter.ask(question, default)
        value = value.strip() if isinstance(value, str) else value
        self.answers[name] = value
        return value

    def live_check(self, what: str, check: Callable[[], None], redo: Callable[[], None] | None = None) -> None:
        """Run a live check now (interactive, with a chance to re-enter) or after all values are in."""
        if self.skip_validation:
            return
        if not self.prompter.interactive:
            self._pending.append(check)
            return
        while True:
            try:
                check()
                return
            except BenchlingWebhookError as exc:
                self.notify("warning", exc.message + (f" — {exc.hint}" if exc.hint else ""))
                if redo is None or not self.prompter.confirm(f"Re-enter the {what}?", default=True):
                    raise
                redo()

    # -- the steps ---------------------------------------------------------------------------------------------
    def run(self) -> SetupResult:
        quilt, athena = self._step(1, self.quilt_and_athena_step)
        benchling = self._step(2, self.benchling_step)
        packages = self._step(3, lambda: self.packages_step(quilt))
        deployment = self._step(4, lambda: self.deployment_step(quilt))
        self.prompter.raise_if_incomplete()
        if self._pending:
            self.notify("step", "Checking the values")
        for check in self._pending:
            check()
        config = ProfileConfig(quilt=athena(), benchling=benchling(), packages=packages(), deployment=deployment())
        if self.existing is not None:  # sections the wizard does not ask about are kept as they were
            config = config.model_copy(update={"logging": self.existing.logging,
                                               "security": self.existing.security})
        if config.deployment.vpc is not None and not config.deployment.vpc.private_subnet_ids and self.skip_validation:
            self.notes.append("the VPC's subnets were not discovered (--skip-validation): "
                              "re-run setup without it before deploying")
        return SetupResult(config=config, secret=self._secret(config), notes=self.notes)

    def _step(self, number: int, body: Callable[[], Any]) -> Any:
        self.notify("step", f"Step {number}/{len(STEPS) + 1} · {STEPS[number - 1]}")
        return body()

    def quilt_and_athena_step(self) -> tuple[QuiltConfig, Callable[[], QuiltConfig]]:
        """The Quilt stack's values, then where linked-package queries run (``setup/athena.py``)."""
        quilt = self.quilt_step()
        return quilt, ask_athena(self, quilt, self.existing.quilt if self.existing else QuiltConfig())

    def quilt_step(self) -> QuiltConfig:
        old = self.existing.quilt if self.existing else QuiltConfig()
        while True:
            catalog = self.ask("catalog", old.catalog)
            if not catalog:
                return self._manual_quilt(old, catalog=None, region=None)
            if old.stack_arn and old.region and normalize_catalog(catalog) == old.catalog:
                with self.progress("reading the Quilt stack of this profile"):
                    known = self.services.known_quilt_stack(old.stack_arn, old.region)
                if known is not None:  # a re-run: refresh the outputs of the stack we already know
                    self.notify("success", f"Quilt stack {known.name} (from the profile): outputs refreshed")
                    return known.to_quilt_config(old.catalog, write_role_arn=old.write_role_arn)
            try:
                with self.progress(f"reading {catalog} config.json"):
                    info = self.services.catalog_info(catalog)
            except BenchlingWebhookError as exc:
                if self.skip_validation:
                    self.notify("warning", f"{exc.message}; enter the Quilt values by hand")
                    return self._manual_quilt(old, catalog=catalog, region=old.region)
                if not self.prompter.interactive:
                    raise
                self.notify("warning", exc.message + (f" — {exc.hint}" if exc.hint else ""))
                self.flags.pop("catalog", None)
                continue
            self.notify("info", f"catalog {info.host} runs in {info.region}")
            with self.progress(f"looking for the Quilt stack in {info.region}"):
                stacks = self.services.quilt_stacks(info)
            if not stacks:
                self.notify("warning", f"no CloudFormation stack in {info.region} has a QuiltWebHost output of "
                                       f"{info.host}; enter the Quilt values by hand")
                return self._manual_quilt(old, catalog=info.host, region=info.region)
            if len(stacks) == 1:
                stack = stacks[0]
            else:
                choices = tuple(Choice(f"{s.name} ({s.arn})", s.name) for s in stacks)
                default = next((s.name for s in stacks if s.arn == old.stack_arn), None)
                flag = self.flags.get("quilt_stack")
                if flag:  # an ARN works as well as a name
                    self.flags["quilt_stack"] = next((s.name for s in stacks if flag in (s.arn, s.name)), flag)
                picked = self.ask("quilt_stack", default, choices=choices)
                if picked is None:  # non-interactive and not chosen: reported with the other missing flags
                    return stacks[0].to_quilt_config(info.host)
                stack = next(s for s in stacks if s.name == picked)
            self.notify("success", f"Quilt stack {stack.name}: queue {stack.queue_url or '-'}, "
                                   f"database {stack.database or '-'}, bucket {stack.bucket or '-'}")
            keep_role = old.write_role_arn if old.stack_arn == stack.arn else None
            return stack.to_quilt_config(info.host, write_role_arn=keep_role)

    def _manual_quilt(self, old: QuiltConfig, *, catalog: str | None, region: str | None) -> QuiltConfig:
        queue = self.ask("quilt_queue_url", old.queue_url)
        database = self.ask("quilt_database", old.database)
        return QuiltConfig(catalog=catalog, queue_url=queue or None, database=database or None,
                           region=region, bucket=old.bucket if catalog == old.catalog else None,
                           write_role_arn=old.write_role_arn)

    def benchling_step(self) -> Callable[[], BenchlingConfig]:
        old = self.existing.benchling if self.existing else None
        if old is None and self.prompter.interactive and "app_definition_id" not in self.flags:
            self._offer_manifest()
        base_url = self.flags.get("benchling_base_url") or (old.base_url if old else None)
        values: dict[str, str | None] = {}
        keep = bool(old and old.secret_arn)

        def collect(reprompt: bool = False) -> None:
            values["tenant"] = self.ask("tenant", values.get("tenant") or (old.tenant if old else None),
                                        reprompt=reprompt)
            values["app_definition_id"] = self.ask(
                "app_definition_id", values.get("app_definition_id") or (old.app_definition_id if old else None),
                reprompt=reprompt)
            values["client_id"] = self.ask("client_id", values.get("client_id") or (old.client_id if old else None),
                                           reprompt=reprompt)
            entered = self.ask("client_secret", None, reprompt=reprompt, required=not keep,
                               instruction="(leave empty to keep the stored one)" if keep else None)
            if entered or not reprompt:
                values["client_secret"] = entered

        def check() -> None:
            tenant, client_id = values["tenant"], values["client_id"]
            if not (tenant and client_id):
                return
            secret = values.get("client_secret") or self._stored_client_secret()
            with self.progress("asking Benchling for a token"):
                self.services.verify_benchling(tenant, client_id, secret, base_url)
            self.notify("success", f"Benchling accepted the client credentials for tenant {normalize_tenant(tenant)}")

        collect()
        self.live_check("Benchling values", check, redo=lambda: collect(reprompt=True))
        self._benchling_values = values

        def build() -> BenchlingConfig:
            return BenchlingConfig(tenant=values["tenant"] or "", client_id=values["client_id"] or "",
                                   app_definition_id=values["app_definition_id"] or "",
                                   secret_arn=old.secret_arn if old else None, base_url=base_url)
        return build

    def _offer_manifest(self) -> None:
        if self.prompter.confirm("Do you already have a Benchling app for this webhook?", default=True):
            return
        path = Path(self.ask("manifest_path", "benchling-app-manifest.yaml") or "benchling-app-manifest.yaml")
        self.services.write_manifest(path, self.profile)
        self.notify("success", f"wrote the app manifest to {path}")
        self.notify("info", "In Benchling: Developer Console → Apps → Create app → From manifest (upload the file), "
                            "then open the app's Overview for the app definition id and generate client credentials.")
        if not self.prompter.confirm("Continue once the app exists?", default=True):
            raise SetupCancelled("before the Benchling step",
                                 hint=f"create the app from {path}, then re-run: benchling-webhook setup")

    def _stored_client_secret(self) -> str:
        arn = self.existing.benchling.secret_arn if self.existing else None
        if arn is None:
            raise ConfigError("no client secret was given", hint="pass --client-secret-stdin or enter it")
        if self._stored_secret is None:
            self._stored_secret = self.services.read_secret(arn)
        return str(self._stored_secret.get("client_secret", ""))

    def packages_step(self, quilt: QuiltConfig) -> Callable[[], PackagesConfig]:
        old = self.existing.packages if self.existing else None
        names = {"bucket": (old.bucket if old else None) or quilt.bucket}

        def collect(reprompt: bool = False) -> None:
            bucket = self.ask("bucket", names["bucket"], reprompt=reprompt)
            names["bucket"] = normalize_bucket(bucket) if bucket else None

        def check() -> None:
            if names["bucket"]:
                with self.progress(f"checking bucket {names['bucket']}"):
                    info = self.services.verify_bucket(names["bucket"])
                self._bucket_region = info.region
                self.notify("success", f"bucket {info.name} is reachable ({info.region})")

        collect()
        self.live_check("bucket", check, redo=lambda: collect(reprompt=True))
        prefix = self.ask("prefix", old.prefix if old else "benchling")
        key = self.ask("metadata_key", old.metadata_key if old else "experiment_id")
        return lambda: PackagesConfig(bucket=names["bucket"] or "", prefix=prefix or "benchling",
                                      metadata_key=key or "experiment_id")

    def deployment_step(self, quilt: QuiltConfig) -> Callable[[], DeploymentConfig]:
        old = self.existing.deployment if self.existing else None
        region = self.ask("region", (old.region if old else None) or quilt.region or self.services.default_region())
        image = self.ask("image_uri", old.image_uri if old else None)
        old_vpc = old.vpc.vpc_id if old and old.vpc else NEW_VPC
        vpc: dict[str, VpcConfig | None] = {"vpc": old.vpc if old else None}
        chosen: dict[str, str] = {}

        def collect(reprompt: bool = False) -> None:
            choices: tuple[Choice, ...] = ()
            if self.prompter.interactive and region and "vpc_id" not in self.flags:
                found = self.services.list_vpcs(region)
                if found:
                    choices = (Choice("create a new VPC (2 AZs, NAT gateways)", NEW_VPC),
                               *(Choice(label, vpc_id) for vpc_id, label in found))
            default = old_vpc if not choices or old_vpc in {c.value for c in choices} else NEW_VPC
            answer = self.ask("vpc_id", chosen.get("id", default), reprompt=reprompt,
                              **({"choices": choices} if choices else {}))
            chosen["id"] = answer or NEW_VPC

        def check() -> None:
            if chosen["id"] == NEW_VPC or not region:
                return
            with self.progress(f"checking VPC {chosen['id']}"):
                found = self.services.verify_vpc(region, chosen["id"])
            vpc["vpc"] = found
            self.notify("success", f"VPC {found.vpc_id}: private subnets {', '.join(found.private_subnet_ids)} "
                                   f"in {', '.join(found.availability_zones)}")

        collect()
        self.live_check("VPC", check, redo=lambda: collect(reprompt=True))
        sizing = ask_sizing(self, old, region, new_vpc=chosen["id"] == NEW_VPC)

        def build() -> DeploymentConfig:
            if chosen["id"] == NEW_VPC:
                vpc_config = None
            else:
                current = vpc["vpc"]
                vpc_config = current if current and current.vpc_id == chosen["id"] else VpcConfig(vpc_id=chosen["id"])
            if self._bucket_region and region and self._bucket_region != region:
                self.notes.append(f"the bucket is in {self._bucket_region} and the stack in {region}: "
                                  "cross-region traffic is slower and costs more")
            data = old.model_dump() if old else {}
            data.update(region=region or "", image_uri=image or None, vpc=vpc_config, **sizing)
            return DeploymentConfig.model_validate(data)
        return build

    # -- the secret ------------------------------------------------------------------------------------------
    def _secret(self, config: ProfileConfig) -> BenchlingCredentials | None:
        """The secret document to write, or ``None`` when the stored one is already right."""
        values = self._benchling_values
        arn = config.benchling.secret_arn
        entered = values.get("client_secret")
        same_region = region_of_arn(arn) == config.deployment.region
        if not entered and arn and same_region and self.existing is not None:
            old = self.existing.benchling
            new = config.benchling
            if (old.tenant, old.client_id, old.app_definition_id) == (new.tenant, new.client_id,
                                                                        new.app_definition_id):
                return None
        secret = entered or self._stored_client_secret()
        return BenchlingCredentials(tenant=config.benchling.tenant, client_id=config.benchling.client_id,
                                    client_secret=SecretStr(secret),
                                    app_definition_id=config.benchling.app_definition_id)


def save_setup(result: SetupResult, profile: str, services: SetupServices, store: Any) -> Path:
    """Write the secret (if it changed) and then the profile, atomically; returns the profile path."""
    config = result.config
    if result.secret is not None:
        old_arn = config.benchling.secret_arn
        reuse = old_arn if region_of_arn(old_arn) == config.deployment.region else None
        arn = services.store_secret(config.deployment.region, profile, result.secret, reuse)
        config = config.model_copy(update={"benchling": config.benchling.model_copy(update={"secret_arn": arn})})
    return Path(store.save(profile, config))


def check_profile_names(profile: str, aws_profile: str | None, *, profile_exists: bool,
                        benchling_profiles: list[str], aws_profiles: list[str]) -> str | None:
    """Catch ``--profile``/``--aws-profile`` mix-ups: raise when ``--aws-profile`` names one of our
    profiles (it would fail anyway), return a warning when ``--profile`` looks like an AWS profile."""
    from benchling_webhook.errors import AwsCredentialsError

    if aws_profile and aws_profile not in aws_profiles and aws_profile in benchling_profiles:
        raise AwsCredentialsError(
            f"AWS profile '{aws_profile}' is not configured",
            hint=f"'{aws_profile}' is a benchling-webhook profile: did you mean --profile {aws_profile}?",
        )
    if not profile_exists and profile in aws_profiles and profile != "default":
        return (f"'{profile}' is an AWS profile, but --profile names a benchling-webhook profile (none is called "
                f"'{profile}' yet); for AWS credentials use --aws-profile {profile}")
    return None
