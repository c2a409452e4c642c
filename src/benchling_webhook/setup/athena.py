"""Where the canvas's linked-package queries run: the Athena workgroup and the query results location.

Asked at the end of the Quilt step, only when there is an Athena database to query. Defaults: the
profile's values (same Quilt stack), else the Quilt stack's outputs (``setup/discovery.py``), else the
``primary`` workgroup and no explicit location — the stack then uses a prefix of the package bucket.

The live check reads the workgroup: it must exist and be enabled, and when it *enforces* its settings
Athena writes results to the workgroup's own location whatever the caller asks, so that location is the
one stored (and the one the stack lets the task role write).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from benchling_webhook.config.models import QuiltConfig
from benchling_webhook.constants import ATHENA_RESULTS_PREFIX

if TYPE_CHECKING:
    from benchling_webhook.setup.wizard import SetupWizard

DEFAULT_WORKGROUP = "primary"


def _same_place(a: str | None, b: str | None) -> bool:
    return (a or "").rstrip("/") == (b or "").rstrip("/")


def ask_athena(wizard: SetupWizard, quilt: QuiltConfig, old: QuiltConfig) -> Callable[[], QuiltConfig]:
    """Ask (or take from flags) the workgroup and results location; returns the final ``QuiltConfig`` builder."""
    if not quilt.database:
        if {"athena_workgroup", "athena_results_location"} & set(wizard.flags):
            wizard.notify("warning", "--athena-workgroup/--athena-results-location are ignored without an Athena "
                                     "database (no linked-package queries)")
        return lambda: quilt.model_copy(update={"athena_workgroup": None, "athena_results_location": None})
    same = (old.stack_arn, old.catalog) == (quilt.stack_arn, quilt.catalog)
    values = {
        "workgroup": (old.athena_workgroup if same else None) or quilt.athena_workgroup or DEFAULT_WORKGROUP,
        "results": (old.athena_results_location if same else None) or quilt.athena_results_location,
    }

    def collect(reprompt: bool = False) -> None:
        workgroup = wizard.ask("athena_workgroup", values["workgroup"], reprompt=reprompt)
        values["workgroup"] = workgroup or DEFAULT_WORKGROUP
        values["results"] = wizard.ask("athena_results_location", values["results"], reprompt=reprompt) or None

    def check() -> None:
        name = values["workgroup"] or DEFAULT_WORKGROUP
        region = quilt.region or wizard.services.default_region()
        with wizard.progress(f"checking Athena workgroup {name}"):
            info = wizard.services.athena_workgroup(region, name)
        if info is None:
            wizard.notify("warning", f"these AWS credentials may not read Athena workgroup {name}: not checked")
            return
        if info.enforced and info.output_location:
            if values["results"] and not _same_place(values["results"], info.output_location):
                wizard.notify("warning", f"workgroup {name} enforces its own results location, so "
                                         f"{values['results']} would not be used")
            values["results"] = info.output_location
            wizard.notify("success", f"Athena workgroup {name} writes query results to {info.output_location} "
                                     "(enforced by the workgroup); the stack lets the task role write there")
            return
        where = values["results"] or f"s3://<package bucket>/{ATHENA_RESULTS_PREFIX}"
        wizard.notify("success", f"Athena workgroup {name}: query results go to {where}")

    collect()
    wizard.live_check("Athena workgroup", check, redo=lambda: collect(reprompt=True))

    def build() -> QuiltConfig:
        data = quilt.model_dump()
        data.update(athena_workgroup=values["workgroup"], athena_results_location=values["results"])
        return QuiltConfig.model_validate(data)
    return build
