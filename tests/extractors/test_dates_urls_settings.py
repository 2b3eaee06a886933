import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from extractors.core import settings, urls
from extractors.core.records import DatePrecision
from extractors.text import dates

NOW = datetime(2026, 11, 22, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "iso", "precision"),
    [
        ("2023-06", "2023-06-01T00:00:00+00:00", DatePrecision.MONTH),
        ("2023", "2023-01-01T00:00:00+00:00", DatePrecision.YEAR),
        ("2023-06-15", "2023-06-15T00:00:00+00:00", DatePrecision.DAY),
        ("2023-06-15T10:00:00+02:00", "2023-06-15T10:00:00+02:00", DatePrecision.DAY),
        ("2023-06-15T10:00:00", "2023-06-15T10:00:00+02:00", DatePrecision.DAY),  # Paris
        ("Tue, 10 Jun 2003 04:00:00 GMT", "2003-06-10T04:00:00+00:00", DatePrecision.DAY),
        ("12 mars 2023", "2023-03-12T00:00:00+00:00", DatePrecision.DAY),
        ("Publié le 3 mars 2024 à 10h12", "2024-03-03T10:12:00+01:00", DatePrecision.DAY),
        ("1er juin 2023", "2023-06-01T00:00:00+00:00", DatePrecision.DAY),
        ("décembre 2022", "2022-12-01T00:00:00+00:00", DatePrecision.MONTH),
        ("15/06/2023", "2023-06-15T00:00:00+00:00", DatePrecision.DAY),
    ],
)
def test_dates_keep_precision_and_zone(text, iso, precision) -> None:
    parsed = dates.parse(text, "text", now=NOW)
    assert parsed is not None
    assert parsed.value.isoformat() == iso and parsed.precision is precision


@pytest.mark.parametrize("text", ["", "   ", "garbage", "2023-13", "2099-01-01", "31/02/2023", "1850"])
def test_implausible_or_malformed_dates_are_dropped(text) -> None:
    assert dates.parse(text, "text", now=NOW) is None


def test_paragraph_declared_as_a_date_is_not_a_date() -> None:
    paragraph = "12 mars 2023 : " + "le gouvernement a présenté son projet de loi sur l’énergie. " * 4
    assert len(paragraph) > dates.MAX_DATE_CHARS
    assert dates.parse(paragraph, "record", now=NOW) is None
    spaced = "12 mars 2023" + " " * dates.MAX_DATE_CHARS + "à 10h12"
    parsed = dates.parse(spaced, "record", now=NOW)
    assert parsed is not None and parsed.value.isoformat() == "2023-03-12T10:12:00+01:00"


def test_url_variants_share_one_key() -> None:
    variants = [
        "https://www.lemonde.fr/international/article/x.html?utm_source=twitter#comments",
        "http://lemonde.fr/international/article/x.html",
        "https://lemonde.fr/international/article/x.html/",
    ]
    assert {urls.key(urls.canonical(u)) for u in variants} == {"lemonde.fr/international/article/x.html"}
    # Another page must get another key: another path, site, subdomain or query.
    others = [
        "https://www.lemonde.fr/international/article/y.html",
        "https://www.lemonde.fr/planete/article/x.html",
        "https://www.lefigaro.fr/international/article/x.html",
        "https://m.lemonde.fr/international/article/x.html",
        "https://www.lemonde.fr/international/article/x.html?page=2",
        "https://www.lemonde.fr/international/article/x.html?page=3",
    ]
    keys = [urls.key(urls.canonical(u)) for u in [variants[0], *others]]
    assert len(set(keys)) == len(keys), keys
    assert urls.domain(urls.canonical(variants[0])) == "lemonde.fr"
    assert urls.domain("file:///tmp/x.txt") is None


def test_settings_layers_and_unknown_keys(tmp_path: Path) -> None:
    cfg = tmp_path / "veille.toml"
    cfg.write_text(
        '[storage]\ndb = "x.duckdb"\n[ingest]\nworkers = 1\n'
        '[[feeds]]\nname = "A"\nurl = "https://a.example/rss"\n'
    )
    s = settings.load(cfg, environ={})
    assert (s.storage.db, s.ingest.workers, s.feeds[0].name) == (Path("x.duckdb"), 1, "A")
    assert settings.load(cfg, environ={"VEILLE_DB": "env.duckdb"}).storage.db == Path("env.duckdb")
    flagged = s.replace({"storage.db": Path("flag.duckdb"), "ingest.workers": None})
    assert (flagged.storage.db, flagged.ingest.workers) == (Path("flag.duckdb"), 1)
    cfg.write_text("[ingest]\nworkerz = 2\n")
    with pytest.raises(settings.SettingsError, match=r"veille.toml: unknown key 'ingest.workerz'"):
        settings.load(cfg, environ={})
    cfg.write_text("[ingest]\nworkers = 'two'\n")
    with pytest.raises(settings.SettingsError, match="ingest.workers must be an integer, not 'two'"):
        settings.load(cfg, environ={})


def test_overrides_are_validated_too() -> None:
    with pytest.raises(settings.SettingsError, match="workers must be positive"):
        settings.Settings().replace({"ingest.workers": 0})


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"fetch.retries": -1}, "fetch.retries must be between 0 and 20, not -1"),
        ({"fetch.per_host_delay": -0.5}, "fetch.per_host_delay must be between 0 and 3,600, not -0.5"),
        (
            {"fetch.connect_timeout": float("nan")},
            "fetch.connect_timeout must be positive and at most 3,600, not nan",
        ),
        ({"fetch.allowed_networks": ("not a network",)}, "fetch.allowed_networks has 'not a network'"),
        ({"ingest.max_seconds_per_input": 0.0}, "ingest.max_seconds_per_input must be positive"),
    ],
)
def test_fetch_settings_are_validated_with_the_rest(changes: dict, message: str) -> None:
    """[fetch] used to be checked only when the run built its fetch policy:
    a traceback mid-run and a `runs` row left `running`."""
    with pytest.raises(settings.SettingsError, match=re.escape(message)):
        settings.Settings().replace(changes)
