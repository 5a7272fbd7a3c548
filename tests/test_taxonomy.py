from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cop_bot.core.errors import ConfigError
from cop_bot.core.taxonomy import load_taxonomy, normalise, parse_taxonomy

REQUIRED = [
    "labour-market",
    "social-protection",
    "health",
    "education",
    "housing",
    "legal-aid",
    "language-learning",
    "anti-discrimination",
    "cultural-diversity",
    "public-perceptions",
    "diversity-management",
    "neighbourhood-participation",
    "political-participation",
    "legal-migration",
    "irregular-migration",
    "human-trafficking",
    "international-protection",
    "migration-development",
    "migration-data",
    "gender-equality",
    "child-protection",
    "human-rights",
]
LANGUAGES = ("en", "fr", "es", "it", "de", "ar", "el")


@pytest.fixture(scope="module")
def taxonomy():  # type: ignore[no-untyped-def]
    return load_taxonomy()


def test_default_taxonomy_has_every_required_domain_in_seven_languages(taxonomy) -> None:  # type: ignore[no-untyped-def]
    slugs = [d.slug for d in taxonomy.domains]
    assert set(REQUIRED) <= set(slugs)
    assert set(taxonomy.languages) >= set(LANGUAGES)
    group_slugs = {g.slug for g in taxonomy.groups}
    assert len(group_slugs) >= 2
    for domain in taxonomy.domains:
        assert set(LANGUAGES) <= set(domain.labels), domain.slug
        assert domain.description, domain.slug
        assert len(domain.synonyms) >= 10, domain.slug
        assert domain.group in group_slugs
    for group in taxonomy.groups:
        assert set(LANGUAGES) <= set(group.labels)


def test_no_synonym_is_shared_between_domains(taxonomy) -> None:  # type: ignore[no-untyped-def]
    owner: dict[str, str] = {}
    for domain in taxonomy.domains:
        for term in domain.synonyms:
            key = normalise(term)
            assert owner.setdefault(key, domain.slug) == domain.slug, term


@pytest.mark.parametrize(
    ("query", "slug"),
    [
        ("labour-market", "labour-market"),
        ("labour market", "labour-market"),
        ("Labor Market", "labour-market"),
        ("labor markt", "labour-market"),
        ("employment", "labour-market"),
        ("jobs", "labour-market"),
        ("work permits", "labour-market"),
        ("marché du travail", "labour-market"),
        ("MARCHE DU TRAVAIL", "labour-market"),
        ("mercato del lavoro", "labour-market"),
        ("Arbeitsmarkt", "labour-market"),
        ("سوق العمل", "labour-market"),
        ("αγορά εργασίας", "labour-market"),
        ("shelter", "housing"),
        ("housin", "housing"),
        ("mental health", "health"),
        ("Gesundheit", "health"),
        ("unaccompanied minors", "child-protection"),
        ("unaccompanied minor", "child-protection"),
        ("refugee status", "international-protection"),  # "refugee" alone: a suggestion
        ("asylum seekers", "international-protection"),
        ("neighborhood participation", "neighbourhood-participation"),
        ("trafficking", "human-trafficking"),
        ("human right", "human-rights"),
        ("languages", "language-learning"),
        ("data", "migration-data"),
    ],
)
def test_matcher_finds_the_domain(taxonomy, query: str, slug: str) -> None:  # type: ignore[no-untyped-def]
    result = taxonomy.match(query)
    assert result.best is not None, result
    assert result.best.slug == slug, result.candidates[:3]
    assert result.best.term  # explains itself


@pytest.mark.parametrize(
    "query", ["xyzzy", "qwertyuiop", "hr", "the", "", "   ", "!!!", "zzzz zzzz"]
)
def test_matcher_says_no_good_match_instead_of_guessing(taxonomy, query: str) -> None:  # type: ignore[no-untyped-def]
    assert taxonomy.match(query).best is None


def test_free_text_yields_several_ranked_domains(taxonomy) -> None:  # type: ignore[no-untyped-def]
    """What the query is about comes first; the generic "asylum seekers" is a candidate."""
    result = taxonomy.match("housing for asylum seekers in Rome")
    assert result.best is not None and result.best.slug == "housing"
    assert "international-protection" in [c.slug for c in result.candidates]
    scores = [c.score for c in result.candidates]
    assert scores == sorted(scores, reverse=True)


def test_two_domains_named_alike_are_both_matches(taxonomy) -> None:  # type: ignore[no-untyped-def]
    result = taxonomy.match("legal aid and housing")
    assert {c.slug for c in result.matches} >= {"legal-aid", "housing"}


def test_exact_match_outranks_fuzzy(taxonomy) -> None:  # type: ignore[no-untyped-def]
    result = taxonomy.match("education")
    assert result.candidates[0].slug == "education"
    assert result.candidates[0].score == 100
    assert all(c.score < 100 for c in result.candidates[1:])


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Labour Markets", "labor market"),
        ("neighbourhoods", "neighborhood"),
        ("Organisation", "organization"),
        ("Éducation", "education"),
        ("minorities", "minority"),
        ("centre", "center"),
    ],
)
def test_normalise_folds_variants(a: str, b: str) -> None:
    assert normalise(a) == normalise(b)


@given(st.text(max_size=300))
def test_matcher_never_crashes(text: str) -> None:
    result = load_taxonomy().match(text)
    assert all(0 <= c.score <= 100 for c in result.candidates)


def test_bad_taxonomy_files_are_explained() -> None:
    with pytest.raises(ConfigError, match="domains"):
        parse_taxonomy({"nothing": 1})
    with pytest.raises(ConfigError, match="twice"):
        parse_taxonomy(
            {
                "domains": [
                    {"slug": "a", "labels": {"en": "A"}},
                    {"slug": "a", "labels": {"en": "A"}},
                ]
            }
        )
    with pytest.raises(ConfigError, match="English label"):
        parse_taxonomy({"domains": [{"slug": "a", "labels": {"fr": "A"}}]})
    with pytest.raises(ConfigError, match="group"):
        parse_taxonomy(
            {
                "groups": [{"slug": "g", "labels": {"en": "G"}}],
                "domains": [{"slug": "a", "group": "nope", "labels": {"en": "A"}}],
            }
        )
    with pytest.raises(ConfigError, match="lowercase"):
        parse_taxonomy({"domains": [{"slug": "Bad Slug", "labels": {"en": "A"}}]})


def test_a_domain_name_beats_a_synonym_at_equal_score(taxonomy) -> None:  # type: ignore[no-untyped-def]
    assert taxonomy.match("labour").candidates[0].slug == "labour-market"


def test_the_shipped_taxonomy_reads_the_same_with_libyamls_loader_as_with_pyyamls() -> None:
    """load_taxonomy uses libyaml's safe loader (start-up); it must read what PyYAML reads."""
    import yaml

    from cop_bot.core.taxonomy import _add_lexicon, default_taxonomy_path

    raw = yaml.safe_load(default_taxonomy_path().read_text(encoding="utf-8"))
    _add_lexicon(raw, default_taxonomy_path())  # the lexicon files, as load_taxonomy reads them
    pure = parse_taxonomy(raw)
    fast = load_taxonomy(None)
    assert (fast.groups, fast.domains, fast.languages) == (
        pure.groups,
        pure.domains,
        pure.languages,
    )


# ---- the parsed taxonomy kept in the state folder ----------------------------------------------


def _yaml_with(label: str) -> str:
    return (
        "languages: [en]\n"
        "domains:\n"
        f"  - slug: housing\n    labels: {{en: {label}}}\n    synonyms: [shelter]\n"
    )


def test_a_taxonomy_read_once_comes_back_from_the_cache_the_same(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from cop_bot.core import taxonomy_cache

    load_taxonomy.cache_clear()
    first = load_taxonomy(None, cache_dir=str(tmp_path))
    assert (tmp_path / taxonomy_cache.CACHE_FILE).is_file()
    load_taxonomy.cache_clear()
    again = load_taxonomy(None, cache_dir=str(tmp_path))
    assert (again.groups, again.domains, again.languages) == (
        first.groups,
        first.domains,
        first.languages,
    )
    load_taxonomy.cache_clear()


def test_a_changed_taxonomy_file_is_read_again_even_with_the_same_size(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "taxonomy.yaml"
    path.write_text(_yaml_with("Housing"), encoding="utf-8")
    load_taxonomy.cache_clear()
    assert load_taxonomy(str(path), cache_dir=str(tmp_path)).label("housing") == "Housing"
    path.write_text(_yaml_with("Shelter"), encoding="utf-8")  # same length, new words
    load_taxonomy.cache_clear()
    assert load_taxonomy(str(path), cache_dir=str(tmp_path)).label("housing") == "Shelter"
    load_taxonomy.cache_clear()


def test_a_broken_or_foreign_cache_is_ignored_and_replaced(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import json

    from cop_bot.core import taxonomy_cache

    path = tmp_path / "taxonomy.yaml"
    path.write_text(_yaml_with("Housing"), encoding="utf-8")
    cache = tmp_path / taxonomy_cache.CACHE_FILE
    for broken in ("{not json", json.dumps({"version": 1, "key": "x", "taxonomy": {}}), "[]"):
        cache.write_text(broken, encoding="utf-8")
        load_taxonomy.cache_clear()
        assert load_taxonomy(str(path), cache_dir=str(tmp_path)).label("housing") == "Housing"
        assert json.loads(cache.read_text(encoding="utf-8"))["version"] == taxonomy_cache.VERSION
    load_taxonomy.cache_clear()


def test_a_taxonomy_that_is_not_utf8_is_a_config_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "taxonomy.yaml"
    path.write_bytes(b"domains: [\xff]\n")
    load_taxonomy.cache_clear()
    with pytest.raises(ConfigError, match="is not UTF-8 text"):
        load_taxonomy(str(path))
    load_taxonomy.cache_clear()


@given(st.one_of(st.text(max_size=200), st.binary(max_size=200).map(lambda b: b.decode("latin-1"))))
def test_reading_any_cache_file_gives_its_data_or_nothing_never_an_error(body: str) -> None:
    import tempfile
    from pathlib import Path

    from cop_bot.core import taxonomy_cache

    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / taxonomy_cache.CACHE_FILE).write_text(body, encoding="utf-8")
        found = taxonomy_cache.read(tmp, "k")
        assert found is None or isinstance(found, dict)


def test_a_generic_word_alone_is_a_suggestion_not_a_match(taxonomy) -> None:  # type: ignore[no-untyped-def]
    """A generic word ("refugee") names the people a question is for, in every domain: alone it suggests
    International protection (the reply says "closest domains") but decides nothing."""
    result = taxonomy.match("refugee")
    assert result.best is None
    assert result.candidates[0].slug == "international-protection"
