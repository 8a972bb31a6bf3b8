"""Scenario packs: a package of scenario modules plus the content (pools) they name.

A pack is a Python package whose ``__init__`` sets ``CONTENT`` (a :class:`~otel_locust.engine.pools.Pools`
subclass) and whose modules each define ``SCENARIO``. The travel pack ships inside the wheel as
``otel_locust.scenarios`` (its source is the repository's top-level ``scenarios/`` folder). Users point
``--otel-scenarios`` at a dotted module path (installed) or a directory (not installed) of their own pack.

Every pool a scenario names is checked against the pack's content when it loads, so a typo is one clear line
at start, not a ``KeyError`` mid-run.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from otel_locust.engine.pools import Pools
from otel_locust.engine.scenario import (
    Agent,
    Answer,
    Delegate,
    Loop,
    Maybe,
    Parallel,
    Retrieve,
    Route,
    Scenario,
    Step,
    ToolRound,
)

DEFAULT_PACK = "otel_locust.scenarios"


class PackError(ValueError):
    """A pack that cannot be loaded or names content it does not have; the message says which."""


@dataclass(frozen=True)
class Pack:
    """A loaded pack: its name, content class and scenarios by name."""

    name: str
    content: type[Pools]
    scenarios: dict[str, Scenario]


def load_pack(spec: str = "") -> Pack:
    """Load the pack named by ``spec``: empty for the travel pack, a dotted module path, or a directory."""
    package = _import(spec.strip() or DEFAULT_PACK)
    content = getattr(package, "CONTENT", None)
    if not (isinstance(content, type) and issubclass(content, Pools)):
        raise PackError(f"{package.__name__} sets no CONTENT (a Pools subclass naming the pools its scenarios use)")
    scenarios: dict[str, Scenario] = {}
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        scenario = getattr(module, "SCENARIO", None)
        if isinstance(scenario, Scenario):
            scenarios[scenario.name] = scenario
    if not scenarios:
        raise PackError(f"no module of {package.__name__} defines SCENARIO")
    known = content.names()
    for scenario in scenarios.values():
        missing = sorted(set(pool_names(scenario)) - known)
        if missing:
            raise PackError(
                f"scenario {scenario.name!r} names pool {missing[0]!r}, which {content.__name__} does not define"
            )
    return Pack(package.__name__, content, scenarios)


def _import(spec: str) -> ModuleType:
    path = Path(spec)
    if ("/" in spec or "\\" in spec) and not path.is_dir():
        raise PackError(f"cannot load {spec}: no such directory")
    try:
        if path.is_dir():
            path = path.resolve()
            if not (path / "__init__.py").exists():
                raise PackError(f"{path} is not a package (no __init__.py)")
            if str(path.parent) not in sys.path:
                sys.path.insert(0, str(path.parent))
            spec = path.name
        package = importlib.import_module(spec)
    except PackError:
        raise
    except (ImportError, SyntaxError) as exc:
        raise PackError(f"cannot load {spec}: {exc}") from None
    if not hasattr(package, "__path__"):
        raise PackError(f"{spec} is a module, not a package of scenario modules")
    return package


def pool_names(scenario: Scenario) -> Iterator[str]:
    """Every pool name ``scenario`` refers to."""
    yield scenario.question
    yield from _agent_pools(scenario.agent)


def _agent_pools(agent: Agent) -> Iterator[str]:
    yield agent.system
    yield agent.task
    for step in agent.steps:
        yield from _step_pools(step)


def _step_pools(step: Step) -> Iterator[str]:
    if isinstance(step, ToolRound):
        for tool in step.tools:
            yield tool.args
            yield tool.result
        if step.thought:
            yield step.thought
    elif isinstance(step, Answer):
        yield step.text
    elif isinstance(step, Loop | Maybe):
        for inner in step.body:
            yield from _step_pools(inner)
    elif isinstance(step, Route):
        for _, branch in step.branches:
            for inner in branch:
                yield from _step_pools(inner)
    elif isinstance(step, Parallel):
        for inner in step.steps:
            yield from _step_pools(inner)
    elif isinstance(step, Delegate):
        yield from _agent_pools(step.agent)
    elif isinstance(step, Retrieve):
        yield step.documents
