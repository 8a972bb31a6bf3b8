"""Payload pools: a seed gives the same pools every time, and the quicker Faker draws what plain Faker draws."""

from __future__ import annotations

import itertools
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
    first, second = pools_for(TRAVEL, 11), TRAVEL(11)  # the process's cached pools, and a fresh build
    assert first is not second and first.entries == second.entries
    assert first.entries.keys() == TRAVEL.names()
    for name, entries in first.entries.items():
        assert len(entries) == (SMALL_POOL_SIZE if name.startswith(TRAVEL.small) else POOL_SIZE), name
    assert first._model_views == second._model_views
    other = pools_for(TRAVEL, 5)  # seeds other tests use too (built once per session)
    assert all(other.entries[name] != entries for name, entries in first.entries.items())
