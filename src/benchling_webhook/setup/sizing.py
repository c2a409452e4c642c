"""The sizing and cost options of the deployment step, each asked with what it costs or saves.

NAT gateways (only for a VPC the stack creates: an existing VPC brings its own NAT, and costs this stack
nothing for it), task CPU and memory, the minimum and maximum task count, Fargate Spot and the optional
alarm email. Defaults are the profile's values, else the model's (the seed's sizing). The figures come
from ``stack/cost.py`` — the price table the deploy plan uses — so setup never imports CDK.

Combinations are checked where the answer is given (the maximum must be at least the minimum, memory
must be a Fargate size for the CPU); a non-interactive run that would combine a flag with a profile value
that does not fit fails with one error naming the flag to pass.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from benchling_webhook.config.models import FARGATE_MEMORY, DeploymentConfig, describe_fargate_memory
from benchling_webhook.errors import ConfigError
from benchling_webhook.setup.questions import CPU_UNITS, Choice
from benchling_webhook.setup.validate import check_memory, check_task_count
from benchling_webhook.stack.cost import estimate_monthly_cost, prices_for, task_month

if TYPE_CHECKING:
    from benchling_webhook.setup.wizard import SetupWizard


@dataclass(frozen=True)
class Sizing:
    """The options being asked (``stack.cost.CostDrivers``): alternatives are priced with ``replace``."""

    vpc: object | None
    nat_gateways: int
    min_tasks: int
    cpu: int
    memory: int
    fargate_spot: bool


def _gb(memory: int) -> str:
    return f"{memory / 1024:g} GB"


def _vcpu(cpu: int) -> str:
    return f"{cpu / 1024:g} vCPU"


class SizingQuestions:
    """Asks the options in cost order: NAT, task size, task count, Spot, alarm email."""

    def __init__(self, wizard: SetupWizard, old: DeploymentConfig | None, region: str | None, new_vpc: bool) -> None:
        self.w = wizard
        self.base = old or DeploymentConfig(region=region or "us-east-1")
        self.region = region or "us-east-1"
        self.plan = Sizing(vpc=None if new_vpc else "existing", nat_gateways=self.base.nat_gateways,
                           min_tasks=self.base.min_tasks, cpu=self.base.cpu, memory=self.base.memory,
                           fargate_spot=self.base.fargate_spot)
        self.max_tasks = self.base.max_tasks

    def _month(self, plan: Sizing, line: str) -> float:
        return estimate_monthly_cost(plan, self.region).line(line)

    def _int(self, name: str, default: int, **changes: Any) -> int:
        answer = self.w.ask(name, str(default), **changes)
        return int(answer) if answer else default

    def run(self) -> dict[str, Any]:
        priced_as, _ = prices_for(self.region)
        self.w.notify("info", f"Sizing: monthly costs are on-demand estimates at {priced_as} prices")
        self.ask_nat()
        self.ask_task_size()
        self.ask_task_count()
        self.ask_spot()
        email = self.w.ask("alarm_email", self.base.alarm_email)
        plan = self.plan
        return {"nat_gateways": plan.nat_gateways, "min_tasks": plan.min_tasks, "max_tasks": self.max_tasks,
                "cpu": plan.cpu, "memory": plan.memory, "fargate_spot": plan.fargate_spot,
                "alarm_email": email or None}

    def ask_nat(self) -> None:
        if self.plan.vpc is not None:
            if "nat_gateways" in self.w.flags:
                self.w.notify("warning", "--nat-gateways is ignored: an existing VPC brings its own NAT gateways "
                                         "(no NAT cost in this stack)")
            return
        two, one = (self._month(replace(self.plan, nat_gateways=n), "NAT") for n in (2, 1))
        choices = (Choice(f"2 NAT gateways, one per AZ (HA) ≈ ${two:,.2f}/month", "2"),
                   Choice(f"1 NAT gateway (no HA: outbound traffic depends on one AZ) ≈ ${one:,.2f}/month, "
                          f"saves ${two - one:,.2f}", "1"))
        self.plan = replace(self.plan, nat_gateways=self._int("nat_gateways", self.plan.nat_gateways,
                                                              choices=choices))

    def ask_task_size(self) -> None:
        choices = tuple(Choice(f"{c} = {_vcpu(int(c))}: a task with {_gb(2 * int(c))} ≈ "
                               f"${task_month(int(c), 2 * int(c), self.region):,.2f}/month", c) for c in CPU_UNITS)
        cpu = self._int("cpu", self.plan.cpu, choices=choices)
        memory = self.plan.memory
        if memory not in FARGATE_MEMORY[cpu]:
            if not self.w.prompter.interactive and "memory" not in self.w.flags:
                raise ConfigError(f"--cpu {cpu} needs --memory: the profile's memory {memory} is not a Fargate size "
                                  f"for it", hint=f"pass --memory ({describe_fargate_memory(cpu)} MiB)")
            memory = 2 * cpu  # the smallest size that fits, and the seed's ratio
        per_gb = task_month(0, 1024, self.region)
        memory = self._int("memory", memory, check=lambda value: check_memory(cpu, value),
                           instruction=f"({describe_fargate_memory(cpu)} for {_vcpu(cpu)}; "
                                       f"each GB ≈ ${per_gb:,.2f} a task a month)")
        self.plan = replace(self.plan, cpu=cpu, memory=memory)

    def ask_task_count(self) -> None:
        plan = self.plan
        per_task = task_month(plan.cpu, plan.memory, self.region)
        minimum = self._int("min_tasks", plan.min_tasks, instruction=(
            f"(always running; each {_vcpu(plan.cpu)} / {_gb(plan.memory)} task ≈ ${per_task:,.2f}/month on demand)"))
        maximum = self.base.max_tasks
        if minimum > maximum:
            if not self.w.prompter.interactive and "max_tasks" not in self.w.flags:
                raise ConfigError(f"--min-tasks {minimum} is larger than the maximum task count {maximum} "
                                  "(deployment.maxTasks)", hint=f"pass --max-tasks {minimum} or more")
            maximum = minimum

        def at_least_minimum(value: str) -> str | None:
            problem = check_task_count(value)
            if problem is None and int(value) < minimum:
                return f"must be at least the minimum task count ({minimum})"
            return problem

        self.max_tasks = self._int("max_tasks", maximum, check=at_least_minimum, instruction=(
            "(scaling out at CPU 70 % / memory 80 %; tasks above the minimum cost only while they run)"))
        if self.max_tasks < minimum:  # only a scripted answer gets here: prompts validate as they go
            raise ConfigError(f"--max-tasks {self.max_tasks} is smaller than --min-tasks {minimum}",
                              hint=f"pass --max-tasks {minimum} or more")
        self.plan = replace(plan, min_tasks=minimum)

    def ask_spot(self) -> None:
        plan = self.plan
        off, on = (self._month(replace(plan, fargate_spot=spot), "Fargate") for spot in (False, True))
        if plan.min_tasks > 1:
            spot = (f"on: 1 on-demand task + {plan.min_tasks - 1} on Fargate Spot ≈ ${on:,.2f}/month, "
                    f"saves ~${off - on:,.2f} (Spot tasks can be interrupted)")
        else:
            spot = "on: tasks above the first run on Spot (saves nothing at 1 minimum task)"
        choices = (Choice(f"off: {plan.min_tasks} on-demand task(s) ≈ ${off:,.2f}/month", "off"), Choice(spot, "on"))
        answer = self.w.ask("fargate_spot", "on" if plan.fargate_spot else "off", choices=choices)
        self.plan = replace(plan, fargate_spot=answer == "on")


def ask_sizing(wizard: SetupWizard, old: DeploymentConfig | None, region: str | None, new_vpc: bool
               ) -> dict[str, Any]:
    """The ``DeploymentConfig`` sizing fields, asked (or taken from flags) with their costs."""
    return SizingQuestions(wizard, old, region, new_vpc).run()
