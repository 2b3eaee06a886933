from pathlib import Path

import pytest

from extractors.judge import topic
from extractors.text import language

FETE = (
    "La fête du village revient ce week-end. Au programme : marché artisanal, concours de "
    "pétanque, bal populaire et feu d'artifice au bord de l'eau. Le comité des fêtes attend "
    "plus de deux mille visiteurs."
)
WAR_ONLY = (
    "La Russie a lancé une nouvelle offensive dans l'est de l'Ukraine. Moscou affirme avoir "
    "pris deux villages près de Bakhmout, tandis que Kiev dément. Le Kremlin et Poutine "
    "promettent la victoire ; l'OTAN livre des chars à l'armée ukrainienne. La guerre dure."
)
ENERGY = (
    "EDF a annoncé la remise en service de deux réacteurs de la centrale nucléaire de "
    "Flamanville. Le parc nucléaire français produit environ 70 % de l'électricité du pays."
)


def test_language_is_stable_and_honest_about_short_text(seeds: list[Path]) -> None:
    text = seeds[0].read_text(encoding="utf-8")
    assert {language.detect(text)[0] for _ in range(5)} == {"fr"}
    assert language.detect("The Kremlin said on Friday that talks would resume next week.")[0] == "en"
    for junk in ["", "1234567890 2023 42", "https://example.com/a/b?c=d"]:
        assert language.detect(junk) == ("unknown", 0.0)


def test_prefix_gives_the_same_answer_as_the_whole_text(seeds: list[Path]) -> None:
    for seed in seeds:
        text = seed.read_text(encoding="utf-8")
        assert language.detect(text)[0] == language.detect(text, len(text))[0] == "fr"


def test_default_profile_keeps_every_seed_and_rejects_other_stories(seeds) -> None:
    profile = topic.load_profile()
    for seed in seeds:
        assert topic.score(seed.read_text(encoding="utf-8"), profile).passes(profile), seed.name
    for text in (FETE, WAR_ONLY, ENERGY):
        assert not topic.score(text, profile).passes(profile), text[:30]


def test_terms_are_accent_and_case_insensitive_with_prefixes(tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_text('threshold = 2\n[terms]\n"arme* nucleaire*" = 1\n"biélorussie" = 1\n')
    profile = topic.load_profile(path)
    s = topic.score("Des ARMES NUCLÉAIRES en Bielorussie ; une arme nucléaire.", profile)
    assert s.matched == {"arme* nucleaire*": 2, "biélorussie": 1} and s.value == 3
    assert s.passes(profile)


def test_invalid_profile_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("threshold = 1\ncolour = 'red'\n[terms]\nx = 1\n")
    with pytest.raises(topic.ProfileError, match="bad.toml.*colour"):
        topic.load_profile(path)
