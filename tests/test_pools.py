"""Payload pools: a seed gives the same pools every time, and the quicker Faker draws what plain Faker draws."""

from __future__ import annotations

import itertools
import random
import string

from faker import Faker

from otel_locust.engine.pools import POOL_SIZE, SMALL_POOL_SIZE, pools_for, quick_faker
from otel_locust.scenarios import CONTENT as TRAVEL

# every Faker method the travel pack calls, and a few a pack of its own might (sentences, paragraphs)
CALLS = (
    ("name", ()),
    ("first_name", ()),
    ("last_name", ()),
    ("email", ()),
    ("company", ()),
    ("job", ()),
    ("street_address", ()),
    ("street_name", ()),
    ("address", ()),
    ("city", ()),
    ("country", ()),
    ("country_code", ()),
    ("postcode", ()),
    ("phone_number", ()),
    ("timezone", ()),
    ("uuid4", ()),
    ("credit_card_expire", ()),
    ("date_this_year", ()),
    ("date_this_decade", ()),
    ("date_of_birth", ()),
    ("day_of_week", ()),
    ("month_name", ()),
    ("bothify", ("opt-####",)),
    ("bothify", ("??#######",)),
    ("bothify", ("?#??##?",)),
    ("bothify", ("## ?? %$!@",)),
    ("numerify", ("%%-##-!!-@@-$$",)),
    ("lexify", ("????", "ABC")),
    ("sentence", ()),
    ("paragraph", ()),
    ("catch_phrase", ()),
    ("ipv4", ()),
)


def test_quick_faker_draws_exactly_what_plain_faker_draws():
    plain = Faker("en_US")
    plain.seed_instance(7)
    quick = quick_faker(7)
    for (method, args), _ in itertools.product(CALLS, range(40)):
        assert getattr(quick, method)(*args) == getattr(plain, method)(*args), method
    assert quick.random.random() == plain.random.random(), "both consumed the same random numbers"


def test_quick_faker_keeps_fakers_other_calls():
    quick = quick_faker(3)
    assert quick.random_element(("x",)) == "x"
    assert len(quick.random_elements(string.ascii_letters, length=5, unique=True)) == 5
    assert quick.pystr(min_chars=4, max_chars=4).isalpha()


def test_a_seed_gives_the_same_pools_every_time():
    first, second = pools_for(TRAVEL, 11).complete(), TRAVEL(11)  # the process's pools, and a new one
    second.pick("answer.long", random.Random(3))  # a few entries made first, out of order
    second.pool("result.hotels")
    assert first is not second and first.entries == second.complete().entries
    assert first.entries.keys() == TRAVEL.names()
    for name, entries in first.entries.items():
        assert len(entries) == (SMALL_POOL_SIZE if name.startswith(TRAVEL.small) else POOL_SIZE), name
    assert first._model_views == second._model_views
    other = pools_for(TRAVEL, 5).complete()  # seeds other tests use too (built once per session)
    assert all(other.entries[name] != entries for name, entries in first.entries.items())


def test_entries_are_made_when_first_picked_and_only_then():
    """A new process makes no entry until one is picked: start-up pays for what the first traces use."""
    pools = TRAVEL(31)
    assert pools.made == 0 and all(entry is None for entries in pools.entries.values() for entry in entries)
    rng = random.Random(1)
    picked = [pools.pick("question.simple", rng) for _ in range(20)]
    assert pools.made == len(set(picked)) and all(isinstance(entry, bytes) for entry in picked)
    assert sum(entry is not None for entries in pools.entries.values() for entry in entries) == pools.made
    assert pools.pick("question.simple", random.Random(1)) == picked[0], "a made entry is kept, not made again"


def test_the_cache_keeps_only_the_most_recently_used_files(tmp_path, monkeypatch):
    """Every seed and code version writes a file: the folder is pruned to the newest CACHE_FILES on each store,
    and loading a file counts as using it."""
    import os

    from otel_locust.engine import pools

    monkeypatch.setenv("OTEL_LOCUST_CACHE", str(tmp_path))
    stale = []
    for n in range(pools.CACHE_FILES + 4):
        path = tmp_path / f"TravelContent-{1000 + n}-old.pickle"
        path.write_bytes(b"x")
        os.utime(path, (1_000_000 + n, 1_000_000 + n))
        stale.append(path)
    os.utime(stale[0], None)  # the oldest was just used
    pools._cached_pools.cache_clear()
    try:
        made = pools.pools_for(TRAVEL, 29)
        made.pick("thought", random.Random(1))
        pools.keep_pools(made)
        kept = set(tmp_path.glob("*.pickle"))
        assert len(kept) == pools.CACHE_FILES and stale[0] in kept
        assert pools._disk_path(TRAVEL, 29) in kept, "the new file is kept"
        assert not kept & set(stale[1:6]), "the least recently used went"
    finally:
        pools._cached_pools.cache_clear()


def test_made_entries_are_kept_on_disk_merged_and_loaded_equal(tmp_path, monkeypatch):
    """What a test made is written to the cache folder at its end; the next process loads it (same entries,
    record makers made again) and adds its own; a damaged file is ignored; a negative seed has no file."""
    from otel_locust.engine import pools

    monkeypatch.setenv("OTEL_LOCUST_CACHE", str(tmp_path))
    pools._cached_pools.cache_clear()
    reference = TRAVEL(23).complete()
    try:
        first = pools.pools_for(TRAVEL, 23)
        pools.keep_pools(first)
        assert not list(tmp_path.iterdir()), "nothing is stored while no entry was made"
        first.pool("answer.long")
        first.pick("result.flights", random.Random(2))
        pools.keep_pools(first)
        [path] = tmp_path.iterdir()
        pools._cached_pools.cache_clear()
        second = pools.pools_for(TRAVEL, 23)
        assert second is not first and second.entries == first.entries and second.made == 0
        assert second.document("fares", 30_000, 5_000, random.Random(1)) == first.document(
            "fares", 30_000, 5_000, random.Random(1)
        )
        second.pool("result.hotels")  # another process's entries: the file gets both
        pools.keep_pools(second)
        pools._cached_pools.cache_clear()
        third = pools.pools_for(TRAVEL, 23)
        for name in ("answer.long", "result.hotels"):
            assert third.entries[name] == reference.entries[name], name
        assert third.entries["result.flights"].count(None) == len(reference.entries["result.flights"]) - 1
        assert third.complete().entries == reference.entries and third._model_views == reference._model_views
        path.write_bytes(b"not a pickle")
        pools._cached_pools.cache_clear()
        assert pools.pools_for(TRAVEL, 23).complete().entries == reference.entries
        assert pools._disk_path(TRAVEL, -1) is None
        monkeypatch.setenv("OTEL_LOCUST_CACHE", "")
        assert pools.cache_dir() is None
    finally:
        pools._cached_pools.cache_clear()


def test_fakers_clock_stands_still_while_pools_are_built():
    """Faker draws dates up to now, to the second: a build must not depend on when it runs."""
    import time

    from otel_locust.engine.pools import _fakers_clock_at_midnight, quick_faker

    with _fakers_clock_at_midnight():
        first = quick_faker(3).unix_time()
        time.sleep(1.1)
        second = quick_faker(3).unix_time()
    assert first == second
    assert quick_faker(3).unix_time() != first  # outside a build, Faker's clock runs


def test_pools_that_cannot_be_pickled_are_not_cached_and_nothing_fails(tmp_path, monkeypatch):
    """A pack may keep something unpicklable (a lock, a lambda): the cache is best effort, the test goes on."""
    import threading

    from otel_locust.engine import pools

    monkeypatch.setenv("OTEL_LOCUST_CACHE", str(tmp_path))
    made = TRAVEL(37)
    made.pick("thought", random.Random(1))
    made.lock = threading.Lock()
    pools.keep_pools(made)
    assert not list(tmp_path.iterdir()), "no file, not even a temporary one"
