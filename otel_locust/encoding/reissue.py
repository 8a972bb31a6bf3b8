"""Re-issue: send an encoded trace again as a new trace, by stamping new ids, times and volatile content.

Planning and encoding a trace costs about ten times what putting its bytes on a socket does. Every field that
makes an encoded trace *one particular* trace has a fixed width: trace and span ids (16 and 8 bytes), timestamps
(fixed64), the conversation and user ids (``conv_`` + 16 hex digits, ``user_`` + 12), ISO dates in the content
(10 characters) and the opaque supplier tokens (base64url, as long as before). A :class:`Template` keeps one
encoded trace as the pieces between those fields plus, for each field, which new value goes there; re-issuing it
is one pass over its bytes: :func:`otel_locust.encoding._stamp.stamp` (C, built at install when a compiler is
there) or, without it, one ``bytes.join`` of the pieces and the values (the same bytes, slower). No length prefix
changes, so the protobuf stays valid without being re-encoded.

What a re-issue changes, and why that keeps a trace realistic:

* trace id, span ids (parents, links and log records follow their span), all timestamps (shifted together);
* the conversation id and the user id (a re-issued conversation is a new conversation of the issuing user);
* every ISO date in the content, shifted by the same number of days (the same request for another week);
* every opaque token (offer, rate, quote and booking tokens): new random characters of the same length, the
  same replacement wherever a token recurs in the trace (and, through :class:`Restamp`, in later turns).

Fields are found without decoding the protobuf: timestamps by their high bytes (a fixed64 whose top three bytes
are those of the trace's time range, preceded by a fixed64 tag; ``0xDC 0xEC`` cannot occur in UTF-8 text), ids
where they follow the trace id (``span_id`` comes right after ``trace_id`` in spans, links and log records),
parent ids by value, dates and tokens by pattern. :func:`Template.build` checks the result: a template whose
slots overlap or whose span count is wrong is refused (the caller keeps planning fresh traces).
"""

from __future__ import annotations

import array
import base64
import datetime
import itertools
import os
import random
import re
import struct
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from operator import itemgetter
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from otel_locust.encoding.instrument import EncodedTrace

try:
    from otel_locust.encoding._stamp import stamp as _native_stamp
except ImportError:  # built without a C compiler: the pure-Python layout does the same, slower
    _native_stamp = None  # type: ignore[assignment]

#: which stamping re-issues use: "native" (the C extension) or "python"; ``OTEL_LOCUST_STAMP=python`` forces the
#: pure-Python one (to compare them, or to rule the extension out)
STAMPING = "native" if _native_stamp is not None and os.environ.get("OTEL_LOCUST_STAMP") != "python" else "python"

FIXED64_TAGS = frozenset({0x39, 0x41, 0x09, 0x59})  # Span start/end, Event.time, LogRecord time/observed time
DATE = re.compile(rb"20[23]\d-[01]\d-[0-3]\d")  # 2020-2039: travel dates, not birthdays
TIME_MARGIN_NS = 1_000_000_000  # timestamps this far outside the planned trace are still the trace's
_TIME_SPAN = 1 << 40  # ns covered by one value of a timestamp's top three bytes (about 18 minutes)


def token_pattern(fields: Iterable[str]) -> re.Pattern[bytes] | None:
    """A pattern whose group 1 is the value of any of the JSON ``fields`` (escaped or not, any nesting)."""
    names = sorted(fields)
    if not names:
        return None
    keys = b"|".join(re.escape(name.encode()) for name in names)
    return re.compile(rb'"(?:' + keys + rb')\\*":\s?\\*"([A-Za-z0-9_\-]{8,})')


DAY_SHIFTS = range(-30, 151)  # a re-issued conversation's dates move by one of these numbers of days (0 aside)


def _day_number(date: bytes) -> int | None:
    """``YYYY-MM-DD`` as a day number (proleptic ordinal); None when it is not a real date."""
    try:
        return datetime.date.fromisoformat(date.decode()).toordinal()
    except ValueError:
        return None


#: the days the date strip covers (proleptic ordinals): every date ``DATE`` matches (2020-2039), moved by any shift
STRIP_FIRST_DAY = datetime.date(2020, 1, 1).toordinal() + DAY_SHIFTS[0]
STRIP_LAST_DAY = datetime.date(2039, 12, 31).toordinal() + DAY_SHIFTS[-1]


@lru_cache(maxsize=1)
def _date_strip() -> bytes:
    """Every day from ``STRIP_FIRST_DAY`` to ``STRIP_LAST_DAY`` as ``YYYY-MM-DD``, back to back (73 KB, made once):
    the dates of a trace shifted by ``s`` days are slices of one window of it, cut at an offset ``s`` decides."""
    days = range(STRIP_FIRST_DAY, STRIP_LAST_DAY + 1)
    return "".join(datetime.date.fromordinal(day).isoformat() for day in days).encode()


@lru_cache(maxsize=1024)
def _cutter(widths: tuple[int, ...]) -> Callable[[bytes], tuple[bytes, ...]]:
    """Cuts a byte string into pieces of ``widths`` in one C call (``struct`` ``Ns`` fields)."""
    return struct.Struct("".join(f"{w}s" for w in widths)).unpack


def _getter(indices: Sequence[Any]) -> Callable[[Any], tuple[Any, ...]]:
    """``itemgetter`` that always returns a tuple (``itemgetter`` of one index returns the item itself)."""
    if len(indices) == 1:
        only = indices[0]
        return lambda values: (values[only],)
    if not indices:
        return lambda values: ()
    return itemgetter(*indices)


@dataclass(slots=True)
class Restamp:
    """What one re-issued conversation keeps the same across its turns: its ids, the day shift, and each turn's
    new token characters (``tokens[k]``: turn k's; a later turn that carries a token of turn k takes its renewal
    from there)."""

    conversation_id: bytes
    user_id: bytes
    day_shift: int
    tokens: list[bytes] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not DAY_SHIFTS[0] <= self.day_shift <= DAY_SHIFTS[-1]:  # the date strip covers these shifts only
            raise ValueError(f"day shift {self.day_shift} is outside {DAY_SHIFTS}")


@dataclass(slots=True)
class Issued:
    """One re-issued trace: the request body (``header`` bytes of envelope, then the span fields), its log
    records (none when it has none), and its new ids (``ids``: the span ids, 8 bytes each in the template's
    span order)."""

    body: bytes
    header: int
    trace_id: bytes
    ids: bytes
    logs: tuple[bytes, ...]  #: the log records' fields

    def span_id(self, number: int) -> bytes:
        """The new id of the template's span ``number``."""
        return self.ids[8 * number : 8 * number + 8]


_Slot = tuple[int, int, str, int]  # offset, width, kind, number among the values of that kind
#: an issue's sources, in order: each slot's new bytes are a slice of the source of its kind; "turn" k is the
#: tokens of the conversation's turn k (then k + 1, ...: as many as the template has earlier turns)
SOURCES = ("trace", "span", "time", "conv", "user", "date", "token", "turn")
_Placed = tuple[int, int, int, int, int]  # offset, width, source, offset in the source, index among the values


class _Layout:
    """One byte string cut at its slots, to be rendered again with new values.

    A slot's new bytes are a slice of one of the sources an issue makes (:data:`SOURCES`). ``table`` is the
    packed (offset, width, source, offset in the source) table :func:`_native_stamp` reads; ``values`` says which
    of the values (the sources cut at every value) each slot takes in the pure-Python form, whose constant pieces
    are cut from ``data`` on its first use (a process with the C extension never needs them)."""

    __slots__ = ("_parts", "_pick", "data", "table", "values")

    def __init__(self, data: bytes, slots: list[_Placed]) -> None:
        self.data = data
        self.table = struct.pack(f"={4 * len(slots)}I", *[field for slot in slots for field in slot[:4]])
        self.values = array.array("I", [slot[4] for slot in slots])
        self._parts: list[bytes] | None = None
        self._pick = _getter(())

    def render(self, values: list[bytes]) -> bytes:
        """The pure-Python rendering (the C one is :func:`_native_stamp` of ``data`` and ``table``)."""
        parts = self._parts if self._parts is not None else self._cut()
        if len(parts) > 1:  # no greenlet switch between the fill and the join: sharing the list is safe
            parts[1::2] = self._pick(values)
        return b"".join(parts)

    def _cut(self) -> list[bytes]:
        """The constant pieces at even places, room for the values at odd ones."""
        table = struct.unpack(f"={len(self.table) // 4}I", self.table)
        bounds = [0, *[at for i in range(0, len(table), 4) for at in (table[i], table[i] + table[i + 1])]]
        bounds.append(len(self.data))
        pieces = [self.data[a:b] for a, b in zip(bounds[0::2], bounds[1::2], strict=True)]
        self._parts = [b""] * (2 * len(pieces) - 1)
        self._parts[0::2] = pieces
        self._pick = _getter(list(self.values))
        return self._parts


class TemplateError(ValueError):
    """An encoded trace that cannot be re-issued safely (the caller plans fresh traces instead)."""


class Template:
    """One encoded trace, ready to be re-issued as new traces (see the module docstring).

    The caller fills in what describes the trace (``scenario``, ``count``, ``depth``, ``ends``, ...)."""

    __slots__ = (
        "_body",
        "_cut_ids",
        "_cut_logs",
        "_cut_times",
        "_cut_tokens",
        "_date_at",
        "_date_window",
        "_earlier_bytes",
        "_inherited",
        "_logs",
        "_times",
        "_token_bytes",
        "_tokens",
        "base",
        "count",
        "depth",
        "ends",
        "header",
        "log_records",
        "nbytes",
        "probe",
        "root_end",
        "scenario",
        "sizes",
        "spans",
        "turn",
    )

    def __init__(self) -> None:
        self.scenario = ""
        self.count = self.depth = self.header = self.root_end = self.nbytes = self.spans = 0
        self.base = 0  #: the recorded trace's start (ns since the epoch): issues move every time by new - base
        self.log_records = 0
        self.sizes: list[int] = []  #: each span field's size, in body order (to split a body)
        self.ends: list[int] = []  #: each span's end, ns after the trace start (real-time delivery)
        self.probe: tuple[int, int, int] | None = None  #: read-back probe: (offset in the body, length, span number)
        self._body = _Layout(b"", [])
        self._logs: _Layout | None = None
        self._cut_logs = _cutter(())
        self._times = b""  # the distinct timestamps, packed little-endian in value order
        self._cut_ids = self._cut_times = self._cut_tokens = _cutter(())
        self._date_window = (0, 0)  # the strip's bytes holding this trace's dates, unshifted (first, end)
        self._date_at: tuple[int, ...] = ()  # each distinct date's offset in that window
        self.turn = 0  #: which turn of its recording this is (0: the first)
        self._tokens: tuple[bytes, ...] = ()  # the tokens first seen in this turn, in the order of their renewal
        self._token_bytes = 0  # their characters, all together
        self._inherited: tuple[tuple[int, int, int], ...] = ()  # tokens of earlier turns: (turn, offset, width)
        self._earlier_bytes: tuple[int, ...] = ()  # each earlier turn's token characters (for a turn not issued)

    @classmethod
    def build(
        cls,
        body: bytes,
        header: int,
        logs: bytes,
        *,
        trace_id: bytes,
        base_ns: int,
        span_ns: int,
        conversation_id: str,
        user_id: str,
        tokens: re.Pattern[bytes] | None,
        spans: int,
        probe: tuple[bytes, bytes] | None = None,
        earlier: Sequence[Template] = (),
    ) -> Template:
        """A template of the request ``body`` (span fields from byte ``header`` on) and the trace's ``logs``
        fields. ``base_ns`` is the trace's start and ``span_ns`` how long it lasts (every timestamp lies in
        between); the ids are those it was encoded with, ``spans`` how many it has. ``probe`` is read-back's
        (span id, inside of the probed value); ``earlier`` the templates of the conversation's earlier turns (a
        token they had keeps their renewal). Raises :class:`TemplateError` when slots collide or are missing."""
        self = cls()
        low, high = base_ns - TIME_MARGIN_NS, base_ns + span_ns + TIME_MARGIN_NS  # profiles' spans may lead or lag
        finder = _Finder(trace_id, low, high, conversation_id, user_id, tokens, earlier)
        body_slots = finder.slots(body, header)
        log_slots = finder.slots(logs, 0) if logs else []
        times = sum(kind == "time" for _, _, kind, _ in body_slots)
        if len(finder.span_ids) != spans or times < 2 * spans:
            raise TemplateError(f"found {len(finder.span_ids)} span ids and {times} times for {spans} spans")
        if probe is not None and probe[0] in finder.span_ids and (at := body.find(probe[1], header)) >= 0:
            self.probe = (at, len(probe[1]), finder.span_ids[probe[0]])
        self.base = base_ns
        self.spans = spans
        self._times = struct.pack(f"<{len(finder.times)}Q", *finder.times)
        self._cut_ids = _cutter((8,) * self.spans)
        self._cut_times = _cutter((8,) * len(finder.times))
        first_day = min(finder.days, default=STRIP_FIRST_DAY - DAY_SHIFTS[0])
        last_day = max(finder.days, default=first_day)
        if first_day + DAY_SHIFTS[0] < STRIP_FIRST_DAY or last_day + DAY_SHIFTS[-1] > STRIP_LAST_DAY:
            raise TemplateError(f"dates from day {first_day} to {last_day} are outside the date strip")
        self._date_window = (10 * (first_day - STRIP_FIRST_DAY), 10 * (last_day + 1 - STRIP_FIRST_DAY))
        self._date_at = tuple(10 * (day - first_day) for day in finder.days)
        self.turn = len(earlier)
        self._tokens = tuple(finder.tokens)
        self._token_bytes = sum(map(len, finder.tokens))
        self._cut_tokens = _cutter(tuple(map(len, finder.tokens)))
        self._inherited = tuple(finder.inherited)
        self._earlier_bytes = tuple(template._token_bytes for template in earlier)
        self._body = _Layout(body, finder.placed(body_slots))
        self._logs = _Layout(logs, finder.placed(log_slots)) if logs else None
        self.header = header
        self.nbytes = len(body) + len(logs)
        return self

    @classmethod
    def of(
        cls,
        encoded: EncodedTrace,
        body: bytes,
        base_ns: int,
        root_end: int,
        *,
        scenario: str,
        conversation_id: str,
        user_id: str,
        tokens: re.Pattern[bytes] | None,
        earlier: Sequence[Template] = (),
    ) -> Template:
        """The template of a freshly encoded trace sent as the one request ``body``, whose planned root span
        started at ``base_ns`` and ended ``root_end`` ns later, after the turns ``earlier``; raises
        :class:`TemplateError` (see :meth:`build`)."""
        self = cls.build(
            body,
            len(body) - sum(encoded.sizes),
            b"".join(encoded.logs),
            trace_id=encoded.trace_id,
            base_ns=base_ns,
            span_ns=max(encoded.ends),
            conversation_id=conversation_id,
            user_id=user_id,
            tokens=tokens,
            spans=encoded.count,
            probe=(encoded.probe_span, encoded.probe_inside) if encoded.probe_span else None,
            earlier=earlier,
        )
        self.scenario, self.count, self.depth = scenario, encoded.count, encoded.depth
        self.sizes, self.ends, self.root_end = encoded.sizes, encoded.ends, root_end
        self.log_records = len(encoded.logs)
        self._cut_logs = _cutter(tuple(map(len, encoded.logs)))
        return self

    def issue(self, rng: random.Random, delta_ns: int, stamp: Restamp) -> Issued:
        """A new trace: new random ids from ``rng``, every timestamp moved by ``delta_ns``, dates and tokens as
        ``stamp`` says (tokens first seen in this turn get new random characters from ``rng``)."""
        trace_id = rng.getrandbits(128).to_bytes(16, "big")
        ids = rng.randbytes(8 * self.spans)
        times = self._times
        moved = (int.from_bytes(times, "little") + delta_ns * _ones(len(times) // 8)).to_bytes(len(times), "little")
        first, end = self._date_window
        dates = _date_strip()[first + 10 * stamp.day_shift : end + 10 * stamp.day_shift]
        tokens = self._renew_tokens(rng, stamp.tokens)
        sources = (
            trace_id,
            ids,
            moved,
            stamp.conversation_id,
            stamp.user_id,
            dates,
            tokens,
            *stamp.tokens[: self.turn],
        )
        if STAMPING == "native":
            body = _native_stamp(self._body.data, self._body.table, sources)
            logs = _native_stamp(self._logs.data, self._logs.table, sources) if self._logs else b""
        else:
            values = self._values(sources)
            body = self._body.render(values)
            logs = self._logs.render(values) if self._logs else b""
        return Issued(body, self.header, trace_id, ids, self._cut_logs(logs) if self._logs else ())

    def _renew_tokens(self, rng: random.Random, turns: list[bytes]) -> bytes:
        """New characters for the tokens first seen in this turn, kept in ``turns`` for the turns after it (an
        earlier turn that was never issued, dropped by backpressure, gets its characters now)."""
        while len(turns) < self.turn:
            turns.append(token_characters(rng, self._earlier_bytes[len(turns)]))
        if len(turns) > self.turn:  # this turn was issued before for the conversation: the same renewals
            return turns[self.turn]
        tokens = token_characters(rng, self._token_bytes) if self._token_bytes else b""
        turns.append(tokens)
        return tokens

    def _values(self, sources: tuple[bytes, ...]) -> list[bytes]:
        """The sources cut into values, in the order :meth:`_Finder.placed` numbers them (pure-Python path)."""
        trace_id, ids, times, conversation_id, user_id, dates, tokens, *turns = sources
        return [
            trace_id,
            *self._cut_ids(ids),
            *self._cut_times(times),
            conversation_id,
            user_id,
            *[dates[at : at + 10] for at in self._date_at],
            *self._cut_tokens(tokens),
            *[turns[turn][at : at + width] for turn, at, width in self._inherited],
        ]


TOKEN_BUFFER_CHARS = 1 << 20


@lru_cache(maxsize=4)
def _token_buffer(seed: int) -> bytes:
    """A megabyte of random base64url characters (``seed`` makes it reproducible)."""
    material = random.Random(seed).randbytes(TOKEN_BUFFER_CHARS * 3 // 4)
    return base64.urlsafe_b64encode(material)


def token_characters(rng: random.Random, count: int) -> bytes:
    """``count`` random token characters: a window at a random place of a random buffer drawn once per process.

    Drawing 12 KB of fresh randomness for each complex trace's tokens costs more than stamping everything else.
    Windows of one buffer differ from each other unless two issues pick the same place (one in a million); they
    do repeat the buffer's characters across traces, which matters only to a backend compressing across traces,
    and re-issued traces repeat their recording's text anyway (see the README on ``--otel-fresh``)."""
    buffer = _token_buffer(0)
    if count > len(buffer):
        return base64.urlsafe_b64encode(rng.randbytes(count))[:count]
    at = int(rng.random() * (len(buffer) - count))
    return buffer[at : at + count]


@lru_cache(maxsize=64)
def _ones(count: int) -> int:
    """1 in every 64-bit lane of ``count`` lanes: ``delta * _ones(n)`` adds delta to each packed timestamp."""
    return int.from_bytes(b"\x01\x00\x00\x00\x00\x00\x00\x00" * count, "little")


class _Finder:
    """Finds the slots of one trace's byte strings and numbers their values (shared by the body and logs)."""

    def __init__(
        self,
        trace_id: bytes,
        low_ns: int,
        high_ns: int,
        conversation_id: str,
        user_id: str,
        tokens: re.Pattern[bytes] | None,
        earlier: Sequence[Template] = (),
    ) -> None:
        self.trace_id = trace_id
        self.low, self.high = low_ns, high_ns
        self.texts = [(text.encode(), kind) for text, kind in ((conversation_id, "conv"), (user_id, "user")) if text]
        self.token_re = tokens
        self.span_ids: dict[bytes, int] = {}
        self.times: list[int] = []
        self._time_index: dict[int, int] = {}
        self.days: list[int] = []  # the distinct dates, as day numbers (what an issue shifts)
        self._date_index: dict[bytes, int] = {}
        self.tokens: list[bytes] = []  # the tokens first seen in this turn
        self._token_index: dict[bytes, int] = {}
        self._earlier: dict[bytes, tuple[int, int]] = {}  # a token of an earlier turn: (turn, offset there)
        for turn, template in enumerate(earlier):
            offsets = itertools.accumulate(map(len, template._tokens), initial=0)
            for token, at in zip(template._tokens, offsets, strict=False):
                self._earlier.setdefault(token, (turn, at))
        self.inherited: list[tuple[int, int, int]] = []  # the earlier turns' tokens here: (turn, offset, width)
        self._inherited_index: dict[bytes, int] = {}

    def slots(self, data: bytes, start: int) -> list[_Slot]:
        """Every slot in ``data`` from ``start``, sorted by offset; raises :class:`TemplateError` on overlap."""
        found = self._ids(data, start) + self._times_in(data, start)
        for text, kind in self.texts:
            found += [(at, len(text), kind, 0) for at in _all(data, text, start)]
        dates = [(m.start(), m.group()) for m in DATE.finditer(data, start)]
        known = self._date_index
        for date in {d for _, d in dates if d not in known}:
            day = _day_number(date)
            if day is not None:  # a real date
                known[date] = len(self.days)
                self.days.append(day)
        found += [(at, 10, "date", known[d]) for at, d in dates if d in known]
        if self.token_re is not None:
            found += self._tokens_in(data, start)
        found.sort()
        for (a, width, _, _), (b, _, _, _) in itertools.pairwise(found):
            if a + width > b:
                raise TemplateError(f"slots overlap at byte {b}")
        return found

    def _tokens_in(self, data: bytes, start: int) -> list[_Slot]:
        """Tokens: those of earlier turns keep their renewal ("turn" slots), the others are renewed here."""
        assert self.token_re is not None
        found: list[_Slot] = []
        own, inherited, earlier = self._token_index, self._inherited_index, self._earlier
        for match in self.token_re.finditer(data, start):
            at, token = match.start(1), match.group(1)
            if token in earlier:
                if token not in inherited:
                    inherited[token] = len(self.inherited)
                    self.inherited.append((*earlier[token], len(token)))
                found.append((at, len(token), "turn", inherited[token]))
            else:
                found.append((at, len(token), "token", own.setdefault(token, len(own))))
        self.tokens = list(own)  # numbered in insertion order
        return found

    def _ids(self, data: bytes, start: int) -> list[_Slot]:
        """The trace id wherever it is, the span id after it, and the parent id after that (if it is one)."""
        found: list[_Slot] = []
        span_ids = self.span_ids
        parents = []
        for at in _all(data, self.trace_id, start):
            found.append((at, 16, "trace", 0))
            if data[at + 16 : at + 18] in (b"\x12\x08", b"\x52\x08"):  # Span/Link.span_id, LogRecord.span_id
                span_id = data[at + 18 : at + 26]
                found.append((at + 18, 8, "span", span_ids.setdefault(span_id, len(span_ids))))
                if data[at + 26 : at + 28] == b"\x22\x08":  # Span.parent_span_id
                    parents.append(at + 28)
        for at in parents:  # a parent outside this trace stays as it is
            number = span_ids.get(data[at : at + 8])
            if number is not None:
                found.append((at, 8, "span", number))
        return found

    def _times_in(self, data: bytes, start: int) -> list[_Slot]:
        """Fixed64 timestamps within the trace's time range, found by their top three bytes."""
        found: list[_Slot] = []
        index = self._time_index
        for top in range(self.low // _TIME_SPAN, self.high // _TIME_SPAN + 1):
            marker = (top & 0xFFFFFF).to_bytes(3, "little")
            for at in _all(data, marker, start + 6):
                begin = at - 5
                if data[begin - 1] in FIXED64_TAGS:
                    value = int.from_bytes(data[begin : begin + 8], "little")
                    if self.low <= value <= self.high:
                        found.append((begin, 8, "time", index.setdefault(value, len(index))))
        self.times = list(index)
        return found

    def placed(self, slots: list[_Slot]) -> list[_Placed]:
        """Each slot with its source, its offset there and its index among the values (see :data:`SOURCES`)."""
        first = {"trace": 0, "span": 1, "time": 1 + len(self.span_ids)}
        first["conv"] = first["time"] + len(self.times)
        first["user"] = first["conv"] + 1
        first["date"] = first["user"] + 1
        first["token"] = first["date"] + len(self.days)
        first["turn"] = first["token"] + len(self.tokens)
        day_one = min(self.days, default=0)
        token_at = list(itertools.accumulate(map(len, self.tokens), initial=0))
        where = {
            "trace": lambda _: (0, 0),
            "span": lambda number: (1, 8 * number),
            "time": lambda number: (2, 8 * number),
            "conv": lambda _: (3, 0),
            "user": lambda _: (4, 0),
            "date": lambda number: (5, 10 * (self.days[number] - day_one)),
            "token": lambda number: (6, token_at[number]),
            "turn": lambda number: (7 + self.inherited[number][0], self.inherited[number][1]),
        }
        return [(at, width, *where[kind](number), first[kind] + number) for at, width, kind, number in slots]


def _all(data: bytes, needle: bytes, start: int) -> list[int]:
    """Every offset of ``needle`` in ``data`` from ``start`` (non-overlapping)."""
    found, at = [], data.find(needle, start)
    while at >= 0:
        found.append(at)
        at = data.find(needle, at + len(needle))
    return found
