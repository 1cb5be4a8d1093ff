from __future__ import annotations

import pytest

from bot.core.errors import BadInput
from bot.storage.persons import PersonRepository
from bot.storage.subscriptions import SubscriptionRepository


@pytest.fixture
def persons(db):
    return PersonRepository(db)


@pytest.fixture
def subs(db):
    return SubscriptionRepository(db)


def test_subscribe_is_an_upsert(persons, subs):
    pid = persons.get_or_create("telegram", "1").id
    first = subs.subscribe(pid, "bignona")
    assert (first.territoire, first.bassin, first.filiere) == ("bignona", None, None)
    second = subs.subscribe(pid, "savoie", bassin="Chambéry", filiere="solaire")
    assert (second.territoire, second.bassin, second.filiere) == ("savoie", "Chambéry", "solaire")
    assert second.created_at == first.created_at
    assert second.updated_at >= first.updated_at
    assert subs.get(pid) == second


def test_subscribe_unknown_person_or_empty_territoire_is_refused(persons, subs):
    with pytest.raises(BadInput):
        subs.subscribe(987654, "bignona")
    pid = persons.get_or_create("telegram", "1").id
    with pytest.raises(BadInput):
        subs.subscribe(pid, "")


def test_narrow_changes_only_given_fields(persons, subs):
    pid = persons.get_or_create("telegram", "1").id
    assert subs.narrow(pid, bassin="Bignona-Kalounayes") is None  # not subscribed
    subs.subscribe(pid, "bignona")
    narrowed = subs.narrow(pid, bassin="Bignona-Kalounayes")
    assert (narrowed.bassin, narrowed.filiere) == ("Bignona-Kalounayes", None)
    narrowed = subs.narrow(pid, filiere="couture")
    assert (narrowed.territoire, narrowed.bassin, narrowed.filiere) == (
        "bignona",
        "Bignona-Kalounayes",
        "couture",
    )


def test_unsubscribe(persons, subs):
    pid = persons.get_or_create("telegram", "1").id
    subs.subscribe(pid, "bignona")
    assert subs.unsubscribe(pid) is True
    assert subs.get(pid) is None
    assert subs.unsubscribe(pid) is False


def test_recipients_match_area_and_trade_with_none_as_wildcard(persons, subs):
    def subscriber(uid, territoire, bassin=None, filiere=None):
        pid = persons.get_or_create("telegram", uid).id
        subs.subscribe(pid, territoire, bassin=bassin, filiere=filiere)
        return pid

    everything_bignona = subscriber("a", "bignona")
    kalounayes_any = subscriber("b", "bignona", bassin="Bignona-Kalounayes")
    kalounayes_solaire = subscriber("c", "bignona", bassin="Bignona-Kalounayes", filiere="solaire")
    sindian_couture = subscriber("d", "bignona", bassin="Sindian", filiere="couture")
    savoie = subscriber("e", "savoie")
    gone = subscriber("f", "bignona")
    persons.mark_unreachable("telegram", "f")
    persons.get_or_create("telegram", "not-subscribed")

    def ids(**criteria):
        return [p.id for p in subs.recipients(**criteria)]

    assert ids(territoire="bignona", bassin="Bignona-Kalounayes", filiere="solaire") == [
        everything_bignona,
        kalounayes_any,
        kalounayes_solaire,
    ]
    assert ids(territoire="bignona", bassin="Bignona-Kalounayes", filiere="couture") == [
        everything_bignona,
        kalounayes_any,
    ]
    assert ids(territoire="bignona", filiere="couture") == [
        everything_bignona,
        kalounayes_any,
        sindian_couture,
    ]
    assert ids(territoire="bignona") == [
        everything_bignona,
        kalounayes_any,
        kalounayes_solaire,
        sindian_couture,
    ]
    assert ids(territoire="savoie", bassin="Chambéry") == [savoie]
    assert gone not in ids()
    assert len(ids()) == 5
