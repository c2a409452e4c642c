"""The sizing step: the deployment's sizing and cost options, each asked with what it costs or saves.

NAT gateways (only for a VPC the stack creates: an existing VPC brings its own NAT, and costs this stack
nothing for it), task CPU and memory, the minimum and maximum task count, Fargate Spot and the optional
alarm email. Defaults are the profile's values, else the model's defaults. The figures come
from ``stack/cost.py`` — the price table the deploy plan uses — so setup never imports CDK.

Combinations are checked where the answer is given (the maximum must be at least the minimum, memory
must be a Fargate size for the CPU); a non-interactive run that would combine a flag with a profile value
that does not fit fails with one error naming the flag to pass.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from benchling_webhook.config.models import FARGATE_MEMORY, DeploymentConfig, describe_fargate_memory
from benchling_webhook.errors import ConfigError
from benchling_webhook.setup.deployment import DeploymentStep, VpcStep
from benchling_webhook.setup.questions import CPU_UNITS, Choice
from benchling_webhook.setup.services import SetupServices
from benchling_webhook.setup.step import Interview, ProfileDraft, Step
from benchling_webhook.setup.validate import check_memory, check_task_count
from benchling_webhook.stack.cost import estimate_monthly_cost, prices_for, task_month


@dataclass(frozen=True)
class SizingOptions:
    """The options being asked (``stack.cost.CostDrivers``): alternatives are priced with ``replace``."""

    vpc: object | None
    nat_gateways: int
    min_tasks: int
    cpu: int
    memory: int
    fargate_spot: bool
    architecture: str = "x86_64"


def _gb(memory: int) -> str:
    return f"{memory / 1024:g} GB"


def _vcpu(cpu: int) -> str:
    return f"{cpu / 1024:g} vCPU"


class SizingStep(Step):
    """Asks the options in cost order: NAT, task size, task count, Spot, alarm email."""

    def __init__(self, deployment: DeploymentStep, vpc: VpcStep, old: DeploymentConfig | None) -> None:
        self.deployment = deployment
        self.vpc = vpc
        self.base = old or DeploymentConfig(region="us-east-1")
        self.max_tasks = self.base.max_tasks
        self.alarm_email = self.base.alarm_email
        self.options = self._options(vpc=None)

    def _options(self, vpc: object | None) -> SizingOptions:
        base = self.base
        return SizingOptions(vpc=vpc, nat_gateways=base.nat_gateways, min_tasks=base.min_tasks, cpu=base.cpu,
                             memory=base.memory, fargate_spot=base.fargate_spot)

    @property
    def region(self) -> str:
        return self.deployment.region or "us-east-1"

    def _month(self, options: SizingOptions, line: str) -> float:
        return estimate_monthly_cost(options, self.region).line(line)

    def collect(self, interview: Interview, services: SetupServices) -> None:
        self.options = self._options(vpc=None if self.vpc.new else "existing")
        priced_as, _ = prices_for(self.region)
        interview.say("info", f"Sizing: monthly costs are on-demand estimates at {priced_as} prices")
        self._ask_nat(interview)
        self._ask_task_size(interview)
        self._ask_task_count(interview)
        self._ask_spot(interview)
        self.alarm_email = interview.ask("alarm_email", self.base.alarm_email) or None

    def build(self, draft: ProfileDraft) -> None:
        o = self.options
        draft.deployment.update(nat_gateways=o.nat_gateways, min_tasks=o.min_tasks, max_tasks=self.max_tasks,
                                cpu=o.cpu, memory=o.memory, fargate_spot=o.fargate_spot, alarm_email=self.alarm_email)

    def _ask_nat(self, interview: Interview) -> None:
        if self.options.vpc is not None:
            if interview.given("nat_gateways") is not None:
                interview.say("warning", "--nat-gateways is ignored: an existing VPC brings its own NAT gateways "
                                         "(no NAT cost in this stack)")
            return
        two, one = (self._month(replace(self.options, nat_gateways=n), "NAT") for n in (2, 1))
        choices = (Choice(f"2 NAT gateways, one per AZ (HA) ≈ ${two:,.2f}/month", "2"),
                   Choice(f"1 NAT gateway (no HA: outbound traffic depends on one AZ) ≈ ${one:,.2f}/month, "
                          f"saves ${two - one:,.2f}", "1"))
        nat = interview.ask_int("nat_gateways", self.options.nat_gateways, choices=choices)
        self.options = replace(self.options, nat_gateways=nat)

    def _ask_task_size(self, interview: Interview) -> None:
        choices = tuple(Choice(f"{c} = {_vcpu(int(c))}: a task with {_gb(2 * int(c))} ≈ "
                               f"${task_month(int(c), 2 * int(c), self.region):,.2f}/month", c) for c in CPU_UNITS)
        cpu = interview.ask_int("cpu", self.options.cpu, choices=choices)
        memory = self.options.memory
        if memory not in FARGATE_MEMORY[cpu]:
            if not interview.interactive and interview.given("memory") is None:
                raise ConfigError(f"--cpu {cpu} needs --memory: the profile's memory {memory} is not a Fargate size "
                                  f"for it", hint=f"pass --memory ({describe_fargate_memory(cpu)} MiB)")
            memory = 2 * cpu  # the smallest size that fits: 2 MiB per CPU unit, the default's ratio
        per_gb = task_month(0, 1024, self.region)
        memory = interview.ask_int("memory", memory, check=lambda value: check_memory(cpu, value),
                                   instruction=f"({describe_fargate_memory(cpu)} for {_vcpu(cpu)}; "
                                               f"each GB ≈ ${per_gb:,.2f} a task a month)")
        self.options = replace(self.options, cpu=cpu, memory=memory)

    def _ask_task_count(self, interview: Interview) -> None:
        options = self.options
        per_task = task_month(options.cpu, options.memory, self.region)
        minimum = interview.ask_int("min_tasks", options.min_tasks, instruction=(
            f"(always running; each {_vcpu(options.cpu)} / {_gb(options.memory)} task ≈ ${per_task:,.2f}/month "
            "on demand)"))
        maximum = self.base.max_tasks
        if minimum > maximum:
            if not interview.interactive and interview.given("max_tasks") is None:
                raise ConfigError(f"--min-tasks {minimum} is larger than the maximum task count {maximum} "
                                  "(deployment.maxTasks)", hint=f"pass --max-tasks {minimum} or more")
            maximum = minimum

        def at_least_minimum(value: str) -> str | None:
            problem = check_task_count(value)
            if problem is None and int(value) < minimum:
                return f"must be at least the minimum task count ({minimum})"
            return problem

        self.max_tasks = interview.ask_int("max_tasks", maximum, check=at_least_minimum, instruction=(
            "(scaling out at CPU 70 % / memory 80 %; tasks above the minimum cost only while they run)"))
        if self.max_tasks < minimum:  # only a scripted answer gets here: prompts validate as they go
            raise ConfigError(f"--max-tasks {self.max_tasks} is smaller than --min-tasks {minimum}",
                              hint=f"pass --max-tasks {minimum} or more")
        self.options = replace(options, min_tasks=minimum)

    def _ask_spot(self, interview: Interview) -> None:
        options = self.options
        off, on = (self._month(replace(options, fargate_spot=spot), "Fargate") for spot in (False, True))
        if options.min_tasks > 1:
            spot = (f"on: 1 on-demand task + {options.min_tasks - 1} on Fargate Spot ≈ ${on:,.2f}/month, "
                    f"saves ~${off - on:,.2f} (Spot tasks can be interrupted)")
        else:
            spot = "on: tasks above the first run on Spot (saves nothing at 1 minimum task)"
        choices = (Choice(f"off: {options.min_tasks} on-demand task(s) ≈ ${off:,.2f}/month", "off"),
                   Choice(spot, "on"))
        answer = interview.ask("fargate_spot", "on" if options.fargate_spot else "off", choices=choices)
        self.options = replace(options, fargate_spot=answer == "on")
