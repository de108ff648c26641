"""Ranking and sorting merged records built from real LoC records (see dedup_fixtures)."""

from __future__ import annotations

import pytest

from dedup_fixtures import copy_as, loc_record
from federator.dedup.cluster import cluster
from federator.query.model import Boolean, Clause, Query
from federator.rank import query_terms, rank, relevance


def any_(term: str) -> Query:
    return Query(Clause("any", "=", term))


def ids_of(records) -> list[str]:
    return [m.id for m in records]


def merged_of(*records):
    return cluster(list(records))[0]


def test_title_match_outranks_subject_only_match():
    title_hit = loc_record(286)  # "Japanese economic history, 1930-1960"
    subject_hit = loc_record(921)  # "The special prisoner": "... prisons, Japanese -- Fiction"
    subject_twice = loc_record(1999)  # "Japanese literature ...", "Women authors, Japanese"
    miss = loc_record(76)  # The sun
    merged = merged_of(title_hit, subject_hit, subject_twice, miss)
    ranked = rank(merged, any_("japanese"))
    assert ranked[0].members[0].key == title_hit.key
    assert ranked[-1].members[0].key == miss.key
    assert ranked[-1].score == 0.0
    assert ranked[0].score > ranked[1].score >= ranked[2].score > 0.0


def test_title_index_counts_only_the_title():
    in_title_and_subject = loc_record(1505)  # Samurai sketches; subject "Samurai -- History"
    in_title = loc_record(257)  # Kill the shogun : a samurai mystery
    merged = merged_of(in_title_and_subject, in_title)
    scores = relevance(merged, Query(Clause("title", "=", "samurai")))
    any_scores = relevance(merged, any_("samurai"))
    by_key = {m.members[0].key: m.id for m in merged}
    s1, s2 = by_key[in_title_and_subject.key], by_key[in_title.key]
    # the subject heading adds to "any" but not to "title"
    assert any_scores[s1] - any_scores[s2] > scores[s1] - scores[s2]


def test_more_holding_partners_boosts():
    a = loc_record(286)
    b = copy_as(a, "x", local_id="other", isbns=[], lccn=None, authors=["Other, Person"], responsibility=None)
    one = merged_of(a, b)
    ranked = rank(one, any_("japanese"))
    assert ranked[0].score == pytest.approx(ranked[1].score)  # same relevance, same holdings: id order
    assert ids_of(ranked) == sorted(ids_of(ranked))

    held_by_three = merged_of(a, b, copy_as(b, "p2", local_id="o2"), copy_as(b, "p3", local_id="o3"))
    ranked = rank(held_by_three, any_("japanese"))
    assert ranked[0].partners == ["p2", "p3", "x"]
    assert ranked[0].score > ranked[1].score


def test_not_clause_words_do_not_count():
    merged = merged_of(loc_record(286), loc_record(921), loc_record(1999))
    plain = relevance(merged, any_("japanese"))
    with_not = relevance(merged, Query(Boolean("not", Clause("any", "=", "japanese"), Clause("any", "=", "economic"))))
    assert plain == with_not
    assert query_terms(Query(Boolean("and", Clause("title", "=", "The samurai"), Clause("isbn", "=", "123")))) == [
        ("samurai", ("title",))
    ]


def test_prefix_terms():
    merged = merged_of(loc_record(286), loc_record(76))
    scores = relevance(merged, any_("japan*"))
    assert max(scores.values()) > 0.0


@pytest.fixture
def shelf():
    records = [
        loc_record(921),  # The special prisoner / Lehrer, James, 2001
        loc_record(286),  # Japanese economic history / Hunter, Janet, 2000
        loc_record(1505),  # Samurai sketches / Hillsborough, Romulus, 2001
        loc_record(15),  # A short history of monks and monasteries, 1900
        copy_as(loc_record(76), "x", year=None),  # The sun / Cole, Michael D., year unknown
    ]
    held = copy_as(loc_record(257), "a")  # Kill the shogun / Furutani, Dale, 2000: held by 3 partners
    records += [held, copy_as(held, "b"), copy_as(held, "c")]
    return merged_of(*records)


def test_sort_by_title_ignores_leading_articles(shelf):
    titles = [m.title for m in rank(shelf, any_("x"), sort="title")]
    assert titles[0].startswith("Japanese")
    assert [t.split()[0] for t in titles] == ["Japanese", "Kill", "Samurai", "A", "The", "The"]
    assert titles.index("The special prisoner") < titles.index("The sun : the center of the solar system")


def test_sort_by_author(shelf):
    authors = [m.authors[0].split(",")[0] if m.authors else None for m in rank(shelf, any_("x"), sort="author")]
    assert authors == sorted(authors)


def test_sort_by_year_newest_or_oldest_first_unknown_last(shelf):
    years = [m.year for m in rank(shelf, any_("x"), sort="year")]
    assert years[-1] is None
    assert years[:-1] == sorted(years[:-1], reverse=True)
    years = [m.year for m in rank(shelf, any_("x"), sort="year_asc")]
    assert years[-1] is None
    assert years[:-1] == sorted(years[:-1])


def test_sort_by_holdings(shelf):
    ranked = rank(shelf, any_("samurai"), sort="holdings")
    assert ranked[0].partners == ["a", "b", "c"]
    # ties on holdings fall back to relevance
    rest = ranked[1:]
    assert rest[0].title.startswith("Samurai")


def test_relevance_order_and_tie_breaks(shelf):
    ranked = rank(shelf, any_("samurai"))
    assert {ranked[0].title.split()[0], ranked[1].title.split()[0]} == {"Kill", "Samurai"}
    zero = [m for m in ranked if m.score == 0.0]
    assert len(zero) == 4
    years = [m.year for m in zero]
    assert years[-1] is None and years[:-1] == sorted(years[:-1], reverse=True)
    assert all(m.score is not None for m in shelf)


def test_every_sort_is_repeatable_and_unknown_sort_fails(shelf):
    for sort in ("relevance", "title", "author", "year", "year_asc", "holdings"):
        assert ids_of(rank(shelf, any_("history"), sort=sort)) == ids_of(rank(list(reversed(shelf)), any_("history"), sort=sort))
    with pytest.raises(ValueError):
        rank(shelf, any_("x"), sort="popularity")
