"""Pre-generated, seeded payload pools: the text and JSON that fills prompts, tool calls and results.

Faker is slow (tens of microseconds per call), so it runs only here: a few hundred entries per kind, each made
once per seed, the first time it is picked. The hot path then picks ready-made entries with a random index. Every
entry is stored already JSON-encoded as bytes: text as a JSON string literal, structured results as a JSON
document, so the instrumentation layer can splice them into message JSON without calling ``json.dumps`` per trace.

Entries are made on first pick, not all at start: building every pool costs about a second of CPU, and a
process that sends its first hundred traces uses a fraction of them (a single scenario about half the pools).
Each entry is made from its own seed (the pools' seed, the pool's name and the entry's index), so an entry is the
same whichever order entries are made in, in every process: a seed gives the same pools, whether they were built
here, loaded from the disk cache, or some of each.

What the pools hold belongs to a scenario pack (the travel pack's content is in ``scenarios/content.py``): a
pack subclasses :class:`Pools` and names its builders in :meth:`Pools.builders`.

Large documents (the ``production`` and ``stress`` tiers' tool results of up to 20 MB) are not pool entries:
:meth:`Pools.document` concatenates distinct records, each made by the pack's record makers from pre-built field
lists and the caller's RNG (microseconds per record, no Faker). Every record differs, so a long document does not
repeat chunks that a long-window compressor could find but a 32 KB gzip window could not.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import importlib.metadata
import itertools
import json
import logging
import os
import pickle
import random
import re
import string
import sys
import threading
import time
import zlib
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any, Self, cast

import faker.providers.date_time as faker_dates
from faker import Faker

logger = logging.getLogger("otel_locust")

POOL_SIZE = 256
SMALL_POOL_SIZE = 48  # pools whose name starts with a prefix in ``Pools.small``: fewer, slower-to-build variants
UNSEEDED_SEEDS = 4  #: an unseeded process draws its pools from one of this many seeds (so they can be cached)
CACHE_FILES = 16  #: pool files kept on disk, the most recently used (about 10 MB each for the travel pack)

Builder = Callable[[], bytes]
RecordMaker = Callable[[random.Random], bytes]  # one JSON object of a large document


class Pools:
    """Named lists of ready-to-splice JSON byte strings, built once from a seed."""

    small: tuple[str, ...] = ("system.",)
    token_fields: frozenset[str] = frozenset()  # opaque fields that agents strip before showing a result

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._fake: Faker | None = quick_faker(seed)
        self.rng = random.Random(seed)
        self._model_views: dict[bytes, bytes] = {}
        with _fakers_clock_at_midnight():
            self._reseed("prepare")
            self.prepare()
        self._builders = self.builders()
        #: pool name -> its entries; None where an entry has not been made yet (see :meth:`pick`, :meth:`pool`)
        self.entries: dict[str, list[bytes | None]] = {
            name: [None] * (SMALL_POOL_SIZE if name.startswith(self.small) else POOL_SIZE) for name in self._builders
        }
        self.made = 0  #: entries made in this process (not loaded): what the disk cache does not have yet
        self._records = self.record_makers()
        self._handbooks: dict[tuple[bytes, int], bytes] = {}

    def __getstate__(self) -> dict[str, Any]:
        """For the disk cache: the entries and what :meth:`prepare` made, not the closures nor the Faker."""
        state = dict(vars(self))
        for unpicklable in ("_records", "_builders", "_fake"):
            state.pop(unpicklable, None)
        state["made"] = 0
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        vars(self).update(state)
        self._fake = None  # made again only if an entry is missing (quick_faker costs tens of milliseconds)
        self._builders = self.builders()
        self._records = self.record_makers()

    @property
    def fake(self) -> Faker:
        """The Faker builders draw from (seeded per entry by :meth:`_reseed`)."""
        if self._fake is None:
            self._fake = quick_faker(self.seed)
        return self._fake

    def _reseed(self, key: str) -> None:
        """Seed the Faker and the RNG for one entry (or for :meth:`prepare`): ``seed:key`` alone decides it."""
        text = f"{self.seed}:{key}"
        self.fake.seed_instance(text)
        self.rng.seed(text)

    def _make(self, name: str, index: int) -> bytes:
        with _fakers_clock_at_midnight():
            self._reseed(f"{name}:{index}")
            entry = self._builders[name]()
        self.entries[name][index] = entry
        self.made += 1
        return entry

    def pool(self, name: str) -> list[bytes]:
        """Every entry of pool ``name`` (made now where missing), for a pack that looks through a whole pool."""
        entries = self.entries[name]
        for index, entry in enumerate(entries):
            if entry is None:
                self._make(name, index)
        return cast("list[bytes]", entries)

    def complete(self) -> Self:
        """Make every entry not made yet (tests and benchmarks that compare whole pools)."""
        for name in self.entries:
            self.pool(name)
        return self

    def prepare(self) -> None:
        """Build what :meth:`record_makers` needs (field lists from ``self.fake``); runs once, at start."""

    def record_makers(self) -> dict[str, RecordMaker]:
        """Record kind -> a function making one record of a large document from an RNG (see ``Tool.document``);
        ``handbook`` makes one paragraph of plain text for long system prompts."""
        return {}

    def document(self, kind: str, size: int, view_limit: int, rng: random.Random) -> tuple[bytes, bytes]:
        """A JSON document of about ``size`` bytes of distinct ``kind`` records, and the view a model is shown:
        its first ``view_limit`` bytes of records, marked truncated (the whole document when it is smaller).

        The records are joined once: the document exists in one copy (plus its records while it is built).
        """
        make = self._records[kind]
        chunks = [b'{"kind":"' + kind.encode() + b'","results":[']
        total, shown = len(chunks[0]) + 32, 0
        while total < size:
            if len(chunks) > 1:
                chunks.append(b",")
            record = make(rng)
            chunks.append(record)
            total += len(record) + 1
            if not shown and total >= view_limit:
                shown = len(chunks)
        records = (len(chunks) - 1 + 1) // 2
        chunks.append(b'],"total":%d}' % records)
        full = b"".join(chunks)
        if not shown or shown >= len(chunks) - 1:
            return full, full
        kept = (shown + 1) // 2
        view = b"".join(chunks[:shown]) + b'],"total":%d,"shown":%d,"truncated":true}' % (records, kept)
        return full, view

    def handbook(self, system: bytes, size: int) -> bytes:
        """``system`` (a JSON string literal) with about ``size`` bytes of handbook paragraphs appended, as long
        production prompts have; the same prompt always gets the same handbook (built once, then cached)."""
        key = (system, size)
        cached = self._handbooks.get(key)
        if cached is None:
            make, rng = self._records["handbook"], random.Random(zlib.crc32(system))
            paragraphs: list[str] = []
            total = 0
            while total < size:
                paragraphs.append(make(rng).decode())
                total += len(paragraphs[-1]) + 2
            extra = json.dumps("\n\n" + "\n\n".join(paragraphs), ensure_ascii=False).encode()
            cached = self._handbooks[key] = system[:-1] + extra[1:]
        return cached

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

    def related(self, name: str, query: bytes, count: int, rng: random.Random) -> list[bytes]:
        """``count`` entries of pool ``name`` a search for ``query`` returns (retrieval steps); a pack whose
        documents are about something (a city, a product) overrides this to return mostly matching ones."""
        return [self.pick(name, rng) for _ in range(count)]

    def pick(self, name: str, rng: random.Random) -> bytes:
        """One entry of pool ``name`` (made now if it is its first pick); raises KeyError naming the pool when it
        does not exist."""
        entries = self.entries[name]
        index = int(rng.random() * len(entries))
        entry = entries[index]
        return entry if entry is not None else self._make(name, index)

    def text(self, value: str) -> bytes:
        """A JSON string literal, ready to splice into message JSON."""
        return json.dumps(value, ensure_ascii=False).encode()

    def data(self, value: object) -> bytes:
        """A JSON document; its model view (without ``token_fields``) is remembered when it differs."""
        raw = _as_json(value)
        if self.token_fields and any(b'"%s":' % field.encode() in raw for field in self.token_fields):
            compact = _as_json(_without(value, self.token_fields))  # only documents that have such a field
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


_TOKEN = re.compile(r"\{\{\s*(\w+)(:\s*\w+?)?\s*\}\}")  # Faker's own template token (faker/generator.py)
_DIGIT_MARKS = frozenset("%$!@")  # numerify's placeholders other than "#": left to Faker


_CLOCK = threading.Lock()


@contextmanager
def _fakers_clock_at_midnight() -> Iterator[None]:
    """While pool entries are made, Faker's "now" is today's midnight.

    Many Faker dates are drawn up to now, to the second (``credit_card_expire``, ``date_time``, ``day_of_week``):
    two builds of one seed a second apart differed. Entries are made one at a time (the lock), so the patch of
    Faker's date module never overlaps another build's. It is entered once per entry made: the clock class is
    made once a day, not each time."""
    module: Any = faker_dates
    real = module.datetime
    with _CLOCK:
        module.datetime = _midnight(dt.date.today())
        try:
            yield
        finally:
            module.datetime = real


@lru_cache(maxsize=2)
def _midnight(today: dt.date) -> type[dt.datetime]:
    """A ``datetime`` whose ``now()`` is ``today``'s midnight."""

    class Midnight(dt.datetime):
        @classmethod
        def now(cls, tz: dt.tzinfo | None = None) -> Self:
            return cls.combine(today, dt.time(), tzinfo=tz)

    return Midnight


def quick_faker(seed: int) -> Faker:
    """A seeded en_US Faker whose hot internals are replaced, on this instance only, by equivalents that draw the
    same random numbers in the same order (so the same values as plain Faker; a travel pool build takes a third of
    the CPU).

    Faker spends most of a pool build on three things: a weighted pick (a first or last name from a few thousand
    weighted entries) re-adds all the weights on every call; templates (``{{first_name}} {{last_name}}``) go
    through a regex substitution and two method lookups per token; ``#`` and ``?`` placeholders go through a regex
    and a lambda per character. Here the cumulative weights are computed once per list, a template is split once,
    and placeholders are replaced by a split and a join. Whatever else (argument groups in templates, the other
    digit placeholders, several picks at once) goes to Faker's own code. ``tests/test_pools.py`` checks that the
    values equal plain Faker's.
    """
    fake = Faker("en_US")
    fake.seed_instance(seed)
    generator: Any = fake._factories[0]
    cumulative: dict[int, tuple[object, tuple[Any, ...], list[float]]] = {}
    templates: dict[str, list[str]] = {}
    parse = generator.parse

    def quick_parse(text: str) -> str:
        pieces = templates.get(text)
        if pieces is None:
            split = _TOKEN.split(text)  # literal, name, argument group, literal, ...
            pieces = templates[text] = [] if any(split[2::3]) else [p for i, p in enumerate(split) if i % 3 != 2]
        if not pieces:
            return str(parse(text))
        out = [pieces[0]]
        for i in range(1, len(pieces), 2):
            out.append(str(getattr(generator, pieces[i])()))
            out.append(pieces[i + 1])
        return "".join(out)

    generator.parse = quick_parse
    for provider in generator.providers:
        provider.random_elements = _quick_elements(provider, generator, cumulative)
        provider.numerify = _quick_numerify(provider.numerify, generator)
        provider.lexify = _quick_lexify(generator)
    return fake


def _quick_elements(provider: Any, generator: Any, cumulative: dict) -> Callable[..., Any]:
    slow, weighted = provider.random_elements, provider.__use_weighting__

    def random_elements(
        elements: Any = ("a", "b", "c"), length: int | None = None, unique: bool = False, use_weighting: Any = None
    ) -> Any:
        if length != 1 or unique:
            return slow(elements, length, unique, use_weighting)
        if isinstance(elements, (tuple, list, str)):
            return [generator.random.choice(elements)]  # what Faker does for an unweighted single pick
        if not isinstance(elements, OrderedDict):
            return slow(elements, length, unique, use_weighting)
        if not (weighted if use_weighting is None else use_weighting):
            return slow(elements, length, unique, use_weighting)
        known = cumulative.get(id(elements))
        if known is None or known[0] is not elements:  # the list is kept in the entry: its id stays its own
            sums = list(itertools.accumulate(elements.values()))
            known = cumulative[id(elements)] = (elements, tuple(elements), sums)
        # random.choices(weights=...) adds the weights up, then draws; given the sums it draws the same number
        return generator.random.choices(known[1], cum_weights=known[2], k=1)

    return random_elements


def _quick_numerify(slow: Callable[[str], str], generator: Any) -> Callable[..., str]:
    def numerify(text: str = "###") -> str:
        if "#" in text:
            head, *rest = text.split("#")
            text = head + "".join(_digit(generator.random.getrandbits) + part for part in rest)
        return slow(text) if not _DIGIT_MARKS.isdisjoint(text) else text

    return numerify


def _digit(getrandbits: Callable[[int], int]) -> str:
    """Faker's ``random_digit()``, ``randint(0, 9)``: CPython draws 4 bits until they are below 10."""
    r = getrandbits(4)
    while r >= 10:
        r = getrandbits(4)
    return _DIGITS[r]


_DIGITS = "0123456789"


def _quick_lexify(generator: Any) -> Callable[..., str]:
    def lexify(text: str = "????", letters: str = string.ascii_letters) -> str:
        if "?" not in text:
            return text
        choice = generator.random.choice
        head, *rest = text.split("?")
        return head + "".join(choice(letters) + part for part in rest)  # Faker's random_element(letters)

    return lexify


def pools_for(content: type[Pools], seed: int) -> Pools:
    """The pools of ``content`` for ``seed``, one object per process: loaded from the disk cache, or new (entries
    are made as they are picked)."""
    return _cached_pools(cast("Hashable", content), seed)  # classes hash; mypy disagrees (python/mypy#11470)


@lru_cache(maxsize=4)
def _cached_pools(content: type[Pools], seed: int) -> Pools:
    started = time.thread_time()  # the building thread's CPU (Runtime.prepare_pools builds in a real thread)
    path = _disk_path(content, seed)
    pools = _load(path) if path is not None else None
    if pools is not None:
        logger.info("otel-locust: payload pools for seed %d loaded from %s (%.2f CPU-s)", seed, path, _since(started))
        return pools
    pools = content(seed)
    logger.info(
        "otel-locust: payload pools for seed %d started (%.2f CPU-s; entries are made as they are picked)",
        seed,
        _since(started),
    )
    return pools


def keep_pools(pools: Pools) -> None:
    """Add the entries made in this process to the disk cache (at the end of a test), merged with what another
    process stored meanwhile: entries are the same whoever made them, so the file only ever fills up."""
    path = _disk_path(type(pools), pools.seed)
    if path is None or not pools.made:
        return
    stored = _load(path)
    if stored is not None and stored.entries.keys() == pools.entries.keys():
        for name, entries in pools.entries.items():
            for index, entry in enumerate(stored.entries[name]):
                if entries[index] is None and entry is not None:
                    entries[index] = entry
        pools._model_views.update(stored._model_views)
    pools.made = 0
    _store(path, pools)


def _since(started: float) -> float:
    return time.thread_time() - started


def cache_dir() -> Path | None:
    """Where built pools are kept between runs: ``$OTEL_LOCUST_CACHE`` (empty: nowhere), else the user's cache
    folder. Building costs most of a process's start-up; a seeded run (every worker of a distributed test, every
    CI run with the same ``--otel-seed``) then loads them instead (a tenth of the CPU)."""
    configured = os.environ.get("OTEL_LOCUST_CACHE")
    if configured is not None:
        return Path(configured) if configured else None
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "otel-locust" / "pools"


def _disk_path(content: type[Pools], seed: int) -> Path | None:
    """The cache file of ``content`` for ``seed``: its name changes with the code that builds the pools (the
    content's module and this one), the package, Faker and Python versions. Only seeded pools are kept."""
    folder = cache_dir()
    if folder is None or seed < 0:
        return None
    digest = hashlib.sha256()
    for module in sorted({content.__module__, __name__}):  # sorted: a set's order changes per process
        source = getattr(sys.modules.get(module), "__file__", None)
        digest.update(Path(source).read_bytes() if source else module.encode())
    versions = (content.__qualname__, seed, _version("otel-locust"), _version("faker"), sys.version)
    digest.update(repr(versions).encode())
    return folder / f"{content.__name__}-{seed}-{digest.hexdigest()[:20]}.pickle"


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "?"


def _load(path: Path) -> Pools | None:
    try:
        with path.open("rb") as handle:
            loaded = pickle.load(handle)
        os.utime(path)  # recently used: kept when the folder is pruned
    except FileNotFoundError:
        return None
    except Exception as exc:  # a damaged or foreign file: build instead
        logger.info("otel-locust: ignoring the pool cache %s (%s)", path, exc)
        return None
    return loaded if isinstance(loaded, Pools) else None


def _store(path: Path, pools: Pools) -> None:
    """Write atomically (several processes may store the same pools at once). Best effort: a read-only home, or a
    pack whose pools hold something that cannot be pickled, only means the next process makes its entries again."""
    temporary = path.with_suffix(f".{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with temporary.open("wb") as handle:
            pickle.dump(pools, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, path)
        _prune(path.parent, CACHE_FILES)
    except Exception as exc:  # a cache: never fail a test for it
        logger.info("otel-locust: pools not cached (%s)", exc)
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)


def _prune(folder: Path, keep: int) -> None:
    """Delete all but the ``keep`` most recently used cache files (each seed and code version makes one)."""
    files = sorted(folder.glob("*.pickle"), key=lambda f: f.stat().st_mtime, reverse=True)
    for stale in files[keep:]:
        stale.unlink(missing_ok=True)
