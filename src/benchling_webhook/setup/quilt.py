"""The Quilt step: catalog URL → its region (``config.json``) → the Quilt stack (``QuiltWebHost``) → its outputs.

Discovery is part of asking, not a check: the stacks found decide the next question (none: the values
by hand; several: which one). A re-run whose catalog is unchanged reads the profile's own stack again
instead of searching. A catalog that cannot be read is asked again in a terminal, is an error with
``--yes``, and with ``--skip-validation`` leads to the values by hand.
"""

from __future__ import annotations

from benchling_webhook.config.models import QuiltConfig, normalize_catalog
from benchling_webhook.errors import BenchlingWebhookError
from benchling_webhook.setup.discovery import CatalogInfo, QuiltStack
from benchling_webhook.setup.questions import Choice
from benchling_webhook.setup.services import SetupServices
from benchling_webhook.setup.step import Interview, ProfileDraft, Step


class QuiltStep(Step):
    """Finds the Quilt stack behind the catalog; ``config`` is the profile's ``quilt`` section so far and
    ``stack`` the stack found (None when the values were entered by hand)."""

    def __init__(self, old: QuiltConfig, *, skip_validation: bool = False) -> None:
        self.old = old
        self.skip_validation = skip_validation
        self.config = QuiltConfig()
        self.stack: QuiltStack | None = None

    def collect(self, interview: Interview, services: SetupServices) -> None:
        self.stack = None
        self.config = self._find(interview, services)

    def build(self, draft: ProfileDraft) -> None:
        draft.quilt.update(self.config.model_dump())

    def _find(self, interview: Interview, services: SetupServices) -> QuiltConfig:
        old = self.old
        while True:
            catalog = interview.ask("catalog", old.catalog)
            if not catalog:
                return self._by_hand(interview, catalog=None, region=None)
            if old.stack_arn and old.region and normalize_catalog(catalog) == old.catalog:
                known = services.known_quilt_stack(old.stack_arn, old.region)
                if known is not None:  # a re-run: refresh the outputs of the stack we already know
                    self.stack = known
                    interview.say("success", f"Quilt stack {known.name} (from the profile): outputs refreshed")
                    return known.to_quilt_config(old.catalog, write_role_arn=old.write_role_arn)
            try:
                info = services.catalog_info(catalog)
            except BenchlingWebhookError as exc:
                if self.skip_validation:
                    interview.say("warning", f"{exc.message}; enter the Quilt values by hand")
                    return self._by_hand(interview, catalog=catalog, region=old.region)
                if not interview.interactive:
                    raise
                interview.say("warning", exc.message + (f" — {exc.hint}" if exc.hint else ""))
                interview = interview.without("catalog")
                continue
            interview.say("info", f"catalog {info.host} runs in {info.region}")
            return self._from_stacks(interview, info, services.quilt_stacks(info))

    def _from_stacks(self, interview: Interview, info: CatalogInfo, stacks: list[QuiltStack]) -> QuiltConfig:
        if not stacks:
            interview.say("warning", f"no CloudFormation stack in {info.region} has a QuiltWebHost output of "
                                     f"{info.host}; enter the Quilt values by hand")
            return self._by_hand(interview, catalog=info.host, region=info.region)
        stack = stacks[0] if len(stacks) == 1 else self._pick(interview, stacks)
        if stack is None:  # non-interactive and not chosen: reported with the other missing flags
            return stacks[0].to_quilt_config(info.host)
        self.stack = stack
        interview.say("success", f"Quilt stack {stack.name}: queue {stack.queue_url or '-'}, "
                                 f"database {stack.database or '-'}, bucket {stack.bucket or '-'}")
        keep_role = self.old.write_role_arn if self.old.stack_arn == stack.arn else None
        return stack.to_quilt_config(info.host, write_role_arn=keep_role)

    def _pick(self, interview: Interview, stacks: list[QuiltStack]) -> QuiltStack | None:
        """Several stacks serve the catalog: ``--quilt-stack`` (a name or an ARN) or the user chooses."""
        flag = interview.given("quilt_stack")
        named = next((s for s in stacks if flag in (s.arn, s.name)), None) if flag else None
        if named is not None:
            return named
        choices = tuple(Choice(f"{s.name} ({s.arn})", s.name) for s in stacks)
        default = next((s.name for s in stacks if s.arn == self.old.stack_arn), None)
        picked = interview.ask("quilt_stack", default, choices=choices)
        return next((s for s in stacks if s.name == picked), None)

    def _by_hand(self, interview: Interview, *, catalog: str | None, region: str | None) -> QuiltConfig:
        old = self.old
        queue = interview.ask("quilt_queue_url", old.queue_url)
        database = interview.ask("quilt_database", old.database)
        return QuiltConfig(catalog=catalog, queue_url=queue or None, database=database or None,
                           region=region, bucket=old.bucket if catalog == old.catalog else None,
                           write_role_arn=old.write_role_arn)
