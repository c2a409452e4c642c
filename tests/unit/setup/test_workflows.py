from __future__ import annotations

import pytest

from benchling_webhook.cli.prompts import NonInteractiveAsker
from benchling_webhook.errors import ConfigError, ValidationFailedError
from benchling_webhook.setup.wizard import SetupWizard
from benchling_webhook.setup.workflows import WorkflowCatalog, parse_workflows
from tests.helpers import fixture_bytes
from tests.unit.setup.support import FRESH, ScriptedAsker, mock_services

CONFIG = fixture_bytes("quilt/workflows-config.yml").decode()
LOCATION = "s3://quilt-data/.quilt/workflows/config.yml"
CATALOG = WorkflowCatalog(LOCATION, {"alpha": "Search for aliens", "beta": "Studying superpowers"}, None, False)


def test_the_config_lists_the_workflows_with_their_names() -> None:
    assert parse_workflows(CONFIG, LOCATION) == CATALOG


def test_a_workflow_is_required_unless_the_config_says_otherwise() -> None:
    catalog = parse_workflows("workflows:\n  alpha: {}\ndefault_workflow: alpha\n", LOCATION)
    assert (catalog.required, catalog.default, catalog.workflows) == (True, "alpha", {"alpha": "alpha"})


@pytest.mark.parametrize("text", ["version: '1'\n", "- a\n- b\n", "workflows: [alpha\n"])
def test_a_file_that_is_not_a_workflows_config_is_refused(text: str) -> None:
    with pytest.raises(ValidationFailedError, match=LOCATION):
        parse_workflows(text, LOCATION)


def test_interactive_setup_offers_the_buckets_workflows_and_saves_the_choice() -> None:
    services = mock_services()
    services.bucket_workflows.return_value = CATALOG
    asker = ScriptedAsker({**FRESH, "workflow": "beta"}, confirms=[True])
    result = SetupWizard(asker, services, profile="dev").run()
    choices = [(c.title, c.value) for c in asker.questions["workflow"].choices]
    assert choices == [("alpha (Search for aliens)", "alpha"), ("beta (Studying superpowers)", "beta"),
                       ("no workflow", "none")]
    assert result.config.packages.workflow == "beta"
    services.bucket_workflows.assert_called_once_with("quilt-data")


def test_an_unknown_workflow_is_refused_with_the_valid_ones() -> None:
    services = mock_services()
    services.bucket_workflows.return_value = CATALOG
    wizard = SetupWizard(NonInteractiveAsker(), services, profile="dev",
                         answers={**FRESH, "bucket": "quilt-data", "workflow": "gamma"})
    with pytest.raises(ValidationFailedError) as caught:
        wizard.run()
    assert caught.value.message == f"Quilt workflow 'gamma' is not one of the workflows in {LOCATION}"
    assert caught.value.hint == "choose one of: alpha, beta (or --workflow none)"


def test_a_workflow_for_a_bucket_without_workflows_is_refused() -> None:
    wizard = SetupWizard(NonInteractiveAsker(), mock_services(), profile="dev",
                         answers={**FRESH, "bucket": "quilt-data", "workflow": "alpha"})
    with pytest.raises(ValidationFailedError, match="bucket quilt-data defines no workflows"):
        wizard.run()


def test_a_bucket_that_requires_a_workflow_without_a_default_needs_one() -> None:
    services = mock_services()
    services.bucket_workflows.return_value = WorkflowCatalog(LOCATION, {"alpha": "Alpha"}, None, True)
    wizard = SetupWizard(NonInteractiveAsker(), services, profile="dev", answers={**FRESH, "bucket": "quilt-data"})
    with pytest.raises(ValidationFailedError) as caught:
        wizard.run()
    assert caught.value.hint == "choose one of: alpha"


def test_no_workflow_is_saved_as_none_and_the_default_is_explained() -> None:
    services = mock_services()
    services.bucket_workflows.return_value = WorkflowCatalog(LOCATION, {"alpha": "Alpha"}, "alpha", True)
    notes: list[tuple[str, str]] = []
    result = SetupWizard(NonInteractiveAsker(), services, profile="dev", notify=lambda *a: notes.append(a),
                         answers={**FRESH, "bucket": "quilt-data", "workflow": "none"}).run()
    assert result.config.packages.workflow is None
    assert ("info", "no workflow chosen: Quilt applies the bucket's default workflow, alpha") in notes


def test_a_malformed_workflow_flag_names_the_flag() -> None:
    wizard = SetupWizard(NonInteractiveAsker(), mock_services(), profile="dev",
                         answers={**FRESH, "bucket": "quilt-data", "workflow": "no spaces"})
    with pytest.raises(ConfigError, match="--workflow 'no spaces': enter a Quilt workflow id"):
        wizard.run()
