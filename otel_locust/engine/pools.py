"""Pre-generated, seeded payload pools: the text and JSON that fills prompts, tool calls and results.

Faker is slow (tens of microseconds per call), so it runs only here, once per seed, building a few hundred
entries per kind. The hot path then picks ready-made entries with a random index. Every entry is stored
already JSON-encoded as bytes: text as a JSON string literal, structured results as a JSON document, so the
instrumentation layer can splice them into message JSON without calling ``json.dumps`` per trace.

What the pools hold belongs to a scenario pack (the travel pack's content is in ``scenarios/content.py``): a
pack subclasses :class:`Pools` and names its builders in :meth:`Pools.builders`.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from functools import lru_cache

from faker import Faker

POOL_SIZE = 256
SMALL_POOL_SIZE = 48  # pools whose name starts with a prefix in ``Pools.small``: fewer, slower-to-build variants

Builder = Callable[[], bytes]


class Pools:
    """Named lists of ready-to-splice JSON byte strings, built once from a seed."""

    small: tuple[str, ...] = ("system.",)
    token_fields: frozenset[str] = frozenset()  # opaque fields that agents strip before showing a result

    def __init__(self, seed: int) -> None:
        self.fake = Faker("en_US")
        self.fake.seed_instance(seed)
        self.rng = random.Random(seed)
        self.entries: dict[str, list[bytes]] = {}
        self._model_views: dict[bytes, bytes] = {}
        for name, make in self.builders().items():
            size = SMALL_POOL_SIZE if name.startswith(self.small) else POOL_SIZE
            self.entries[name] = [make() for _ in range(size)]
        del self.fake

    @classmethod
    def names(cls) -> set[str]:
        """The pool names this content defines, without building anything (to validate scenarios against)."""
        return set(cls.builders(cls.__new__(cls)))

    def builders(self) -> dict[str, Builder]:
        """Pool name -> a function making one entry. Builders may use ``self.fake`` and ``self.rng``."""
        raise NotImplementedError

    def model_view(self, result: bytes) -> bytes:
        """What the agent framework shows the model of a tool result: the raw API response without its opaque
        tokens (agents strip those before they spend context on them). Unknown values are shown as they are."""
        return self._model_views.get(result, result)

    def pick(self, name: str, rng: random.Random) -> bytes:
        """One entry of pool ``name``; raises KeyError naming the pool when it does not exist."""
        entries = self.entries[name]
        return entries[int(rng.random() * len(entries))]

    def text(self, value: str) -> bytes:
        """A JSON string literal, ready to splice into message JSON."""
        return json.dumps(value, ensure_ascii=False).encode()

    def data(self, value: object) -> bytes:
        """A JSON document; its model view (without ``token_fields``) is remembered when it differs."""
        raw = _as_json(value)
        if self.token_fields:
            compact = _as_json(_without(value, self.token_fields))
            if compact != raw:
                self._model_views[raw] = compact
        return raw


def _as_json(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def _without(value: object, fields: frozenset[str]) -> object:
    """``value`` with every field in ``fields`` removed, recursively."""
    if isinstance(value, dict):
        return {k: _without(v, fields) for k, v in value.items() if k not in fields}
    if isinstance(value, list):
        return [_without(v, fields) for v in value]
    return value


@lru_cache(maxsize=4)
def pools_for(content: type[Pools], seed: int) -> Pools:
    """The pools of ``content`` for ``seed``, built once per process (one to two seconds of CPU)."""
    return content(seed)
