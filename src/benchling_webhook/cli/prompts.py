"""Askers for the setup wizard (``setup.questions.Asker``): questionary in a terminal, flags-only elsewhere.

``create_asker(yes)`` picks one: ``--yes``, a stdin/stdout that is not a terminal, or ``CI`` in the
environment mean non-interactive. The non-interactive asker never blocks: flags answer first (the
wizard's ``Interview``), it answers the rest from the defaults and remembers each missing flag, so the
wizard can report all of them in one error.
Prompts use questionary's ``unsafe_ask`` so Ctrl-C raises ``KeyboardInterrupt`` (exit 130) instead of
returning ``None`` and carrying on.
"""

from __future__ import annotations

import os
import sys

from benchling_webhook.errors import ConfigError
from benchling_webhook.setup.questions import Question


class QuestionaryAsker:
    """Asks in the terminal; validation happens inside the prompt, so answers are always acceptable."""

    interactive = True

    def ask(self, question: Question, default: str | None) -> str | None:
        import questionary

        def validate(text: str) -> bool | str:
            return question.problem(text) or True

        if question.choices:
            choices = [questionary.Choice(c.title, value=c.value) for c in question.choices]
            values = {c.value for c in question.choices}
            answer = questionary.select(question.message, choices=choices,
                                        default=default if default in values else None).unsafe_ask()
        elif question.secret:
            message = f"{question.message} {question.instruction}" if question.instruction else question.message
            answer = questionary.password(message, validate=validate).unsafe_ask()
        else:
            answer = questionary.text(question.message, default=default or "", validate=validate,
                                      instruction=question.instruction).unsafe_ask()
        return str(answer) if answer is not None else None

    def confirm(self, message: str, default: bool = True) -> bool:
        import questionary

        return bool(questionary.confirm(message, default=default).unsafe_ask())

    def raise_if_incomplete(self) -> None:
        return None


class NonInteractiveAsker:
    """Answers from defaults; required values without one are collected into one error."""

    interactive = False

    def __init__(self) -> None:
        self.missing: list[str] = []

    def ask(self, question: Question, default: str | None) -> str | None:
        if default is not None and default != "":
            return default
        if question.required:
            self.missing.append(_describe(question))
        return None

    def confirm(self, message: str, default: bool = True) -> bool:
        return default

    def raise_if_incomplete(self) -> None:
        if not self.missing:
            return
        names = self.missing
        listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
        verb = "is" if len(names) == 1 else "are"
        raise ConfigError(f"{listed} {verb} required when not interactive",
                          hint="pass the flag(s) (see: benchling-webhook setup --help), "
                               "or run setup in a terminal without --yes")


def _describe(question: Question) -> str:
    if question.name == "client_secret":
        return "--client-secret (or --client-secret-stdin)"
    if question.choices:
        return f"{question.flag} (one of: {', '.join(c.value for c in question.choices)})"
    return question.flag


def is_interactive_terminal() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty() and not os.environ.get("CI")


def create_asker(yes: bool) -> QuestionaryAsker | NonInteractiveAsker:
    return QuestionaryAsker() if not yes and is_interactive_terminal() else NonInteractiveAsker()
