"""What every setup step is made of: an ``Interview`` to ask through, ``Finding``s, and the ``ProfileDraft``.

A step is an object with three methods, run by the wizard in this order:

- ``collect(interview, services)`` asks its questions (a flag's value wins when it is valid) and may
  discover defaults with ``services`` (the catalog's Quilt stack, the region's VPCs);
- ``check(services)`` verifies the collected values against the outside world and returns what it found
  (a ``Finding`` per line of narration), or raises an error that says what to fix;
- ``build(draft)`` writes its fields into the profile being built.

A step keeps its answers as attributes, and a later step that depends on an earlier one holds a
reference to it (the packages step reads the Quilt step's bucket). After a failed check an interactive
run collects the same step again through ``interview.again()``, which ignores the flags.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal, NamedTuple

from benchling_webhook.config.models import (
    BenchlingConfig,
    DeploymentConfig,
    PackagesConfig,
    ProfileConfig,
    QuiltConfig,
)
from benchling_webhook.errors import ConfigError
from benchling_webhook.setup.questions import QUESTIONS, Asker, Notify
from benchling_webhook.setup.services import SetupServices


class Finding(NamedTuple):
    """One line a check reports: ``level`` is ``info``, ``success`` or ``warning``."""

    level: Literal["info", "success", "warning"]
    text: str


class Interview:
    """Asks the wizard's questions: a flag's value when it is given and valid, else the asker.

    A flag that fails its question's check is an error when not interactive and a warning plus the
    question (with the flag as default) in a terminal.
    """

    def __init__(self, asker: Asker, answers: Mapping[str, str | None], notify: Notify, *,
                 repeating: bool = False, ignored: Iterable[str] = ()) -> None:
        self.asker = asker
        self.answers = {name: value for name, value in answers.items() if value is not None}
        self._notify = notify
        self.repeating = repeating
        self._ignored = frozenset(ignored)

    @property
    def interactive(self) -> bool:
        return self.asker.interactive

    def given(self, name: str) -> str | None:
        """The flag's value for ``name`` (whether or not ``ask`` still uses it)."""
        return self.answers.get(name)

    def again(self) -> Interview:
        """The same interview for a second try at a step: flags are no longer answers."""
        return Interview(self.asker, self.answers, self._notify, repeating=True, ignored=self.answers)

    def without(self, name: str) -> Interview:
        """The same interview, asking ``name`` even though its flag was given (it was refused)."""
        return Interview(self.asker, self.answers, self._notify, repeating=self.repeating,
                         ignored=self._ignored | {name})

    def ask(self, name: str, default: str | None = None, **changes: Any) -> str | None:
        """The answer to ``QUESTIONS[name]`` (``changes`` adjust it: choices, instruction, check)."""
        question = replace(QUESTIONS[name], **changes) if changes else QUESTIONS[name]
        flag = None if name in self._ignored else self.answers.get(name)
        if flag is not None:
            problem = question.problem(flag)
            if problem is None:
                return flag.strip()
            if not self.interactive:
                raise ConfigError(f"{question.flag} '{flag}': {problem}", hint=f"fix the value of {question.flag}")
            self._notify("warning", f"{question.flag} '{flag}': {problem}")
            default = flag
        value = self.asker.ask(question, default)
        return value.strip() if isinstance(value, str) else value

    def ask_int(self, name: str, default: int, **changes: Any) -> int:
        answer = self.ask(name, str(default), **changes)
        return int(answer) if answer else default

    def confirm(self, message: str, default: bool = True) -> bool:
        return self.asker.confirm(message, default)

    def say(self, level: str, text: str) -> None:
        """Narration between the questions (``notify``'s levels)."""
        self._notify(level, text)


@dataclass
class ProfileDraft:
    """The profile's sections as field values: each step sets its own, ``to_config`` validates the whole."""

    quilt: dict[str, Any] = field(default_factory=dict)
    benchling: dict[str, Any] = field(default_factory=dict)
    packages: dict[str, Any] = field(default_factory=dict)
    deployment: dict[str, Any] = field(default_factory=dict)

    def to_config(self) -> ProfileConfig:
        return ProfileConfig(quilt=QuiltConfig.model_validate(self.quilt),
                             benchling=BenchlingConfig.model_validate(self.benchling),
                             packages=PackagesConfig.model_validate(self.packages),
                             deployment=DeploymentConfig.model_validate(self.deployment))


class Step:
    """One part of the wizard; ``check`` and ``build`` do nothing unless a step has something to add."""

    subject = "values"
    """What a failed check offers to re-enter: "Re-enter the {subject}?"."""

    def collect(self, interview: Interview, services: SetupServices) -> None:
        raise NotImplementedError

    def check(self, services: SetupServices) -> list[Finding]:
        return []

    def build(self, draft: ProfileDraft) -> None:
        return None
