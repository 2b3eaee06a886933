"""Boilerplate stripping: the five seed articles, then texts written for these tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from extractors.text.boilerplate import Cleaned, RulesError, clean, load_rules, strip_site_name
from tests.support.paths import SEEDS


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _removed_lines(cleaned: Cleaned) -> dict[str, str]:
    return {line: rule for rule, line in cleaned.removed}


@dataclass(frozen=True)
class Seed:
    name: str
    noise: tuple[str, ...]
    header: tuple[str, ...] = ()
    title: str | None = None
    source: str | None = None
    date_text: str | None = None
    rewritten: dict[str, str] = field(default_factory=dict)


SEED_CASES = [
    Seed(
        "000_d67aa00b0c5a3fe1.txt",
        noise=(
            "Le président biélorusse Alexandre Loukachenko est un allié fidèle du président "
            "russe Vladimir Poutine",
            "(PA)",
            "Un missile balistique intercontinental Yars est testé dans le cadre des exercices "
            "nucléaires russes depuis un site de lancement à Plesetsk, dans le nord-ouest de la "
            "Russie",
            "(Service de presse du ministère russe de la Défense)",
            "Les États-Unis estiment que le risque d’escalade vers une guerre nucléaire « reste "
            "extrêmement faible »",
            "(Copyright 2020 The Associated Press. Tous droits réservés)",
            "Des soldats ukrainiens dans des chars russes capturés T-72 s’entraînent près de la "
            "frontière entre l’Ukraine et la Biélorussie",
            "(Copyright 2022 The Associated Press. Tous droits réservés.)",
        ),
        header=(
            "Poutine prévient qu’il déplacera des armes nucléaires en Biélorussie – et blâme le Royaume-Uni",
        ),
        title="Poutine prévient qu’il déplacera des armes nucléaires en Biélorussie – et blâme le "
        "Royaume-Uni",
    ),
    Seed(
        "001_07f07504d3202a46.txt",
        noise=(
            "Jeudi, des soldats ukrainiens se reposent dans une tranchée sur la ligne de front "
            "près de Kreminna, dans la région de Lougansk, en Ukraine. (Roman Chop/Associated "
            "Press)",
        ),
        date_text="2023-06",
        rewritten={
            "date 2023-06 La Russie commencera à déployer des armes nucléaires tactiques en "
            "Biélorussie après que des installations de stockage spéciales seront prêtes les 7 et "
            "8 juillet, a déclaré vendredi le président Vladimir Poutine, le premier mouvement de "
            "Moscou de telles bombes hors de Russie depuis la chute de l’Union soviétique.": (
                "La Russie commencera à déployer des armes nucléaires tactiques en Biélorussie "
                "après que des installations de stockage spéciales seront prêtes les 7 et 8 "
                "juillet, a déclaré vendredi le président Vladimir Poutine, le premier mouvement "
                "de Moscou de telles bombes hors de Russie depuis la chute de l’Union soviétique."
            )
        },
    ),
    Seed("002_97dcbfb83b55ebfe.txt", noise=()),
    Seed(
        "003_ac430c01fe7a889e.txt",
        noise=(
            "Lire aussi\u00a0 CNN : La Russie a perdu et est désormais affaiblie ᐉ News from "
            "Fakti.bg - World",
            "Lire aussi\u00a0 Pronostics et cotes de la Ligue des Champions",
            "Lire aussi\u00a0 Liverpool contre Manchester City; l'heure et l'endroit où regarder "
            "le match dont tout le monde parle",
            "Facebook",
            "Twitter",
            "LinkedIn",
            "Pinterest",
            "Leave a Comment",
            "This site uses Akismet to reduce spam. Learn how your comment data is processed.",
            "ADVERTISEMENT",
        ),
        header=(
            "Nouvelles Du Monde",
            "Poutine n’a pas l’intention de déployer des armes nucléaires en Biélorussie de si tôt",
        ),
        title="Poutine n’a pas l’intention de déployer des armes nucléaires en Biélorussie de si tôt",
        source="Nouvelles Du Monde",
    ),
    Seed(
        "004_18dc1d0e322fbd5f.txt",
        noise=(
            "Pour comprendre plus en profondeur ce conflit, visionnez notre entretien avec "
            "Caroline Galactéros, géopolitologue, spécialiste des affaires diplomatiques et "
            "Docteur en Sciences politiques :",
            "Source : ZeroHedge",
        ),
        header=("L’escalade des tensions entre l’OTAN et la Russie se poursuit",),
        title="L’escalade des tensions entre l’OTAN et la Russie se poursuit",
        source="ZeroHedge",
    ),
]

SUBHEADINGS = [
    "Alliance fasciste",
    "Réaction ukrainienne",
    "Prigojine vs Kremlin",
    "Étroitement surveillé",
    "Une distraction pour Bahamut",
    "Les menaces constantes de Poutine",
    "Comme le souligne l’AP :",
    "– AP",
    "Tout en soulignant :",
]


@pytest.fixture(scope="module")
def seeds() -> dict[str, str]:
    return {case.name: (SEEDS / case.name).read_text(encoding="utf-8") for case in SEED_CASES}


@pytest.mark.parametrize("case", SEED_CASES, ids=lambda case: case.name[:3])
def test_seed_noise_removed_and_article_kept(case: Seed, seeds: dict[str, str]) -> None:
    lines = _lines(seeds[case.name])
    assert set(case.noise) <= set(lines), "noise list out of date with the seed"
    assert set(case.header) <= set(lines)
    cleaned = clean(seeds[case.name])
    body = cleaned.body.split("\n")
    for noise in case.noise:
        assert noise not in body
        assert noise in _removed_lines(cleaned)
    expected = [
        case.rewritten.get(line, line) for line in lines if line not in case.noise and line not in case.header
    ]
    for line in expected:
        assert line in body
    assert body == expected


@pytest.mark.parametrize("case", SEED_CASES, ids=lambda case: case.name[:3])
def test_seed_metadata(case: Seed, seeds: dict[str, str]) -> None:
    cleaned = clean(seeds[case.name])
    assert (cleaned.title, cleaned.source, cleaned.date_text) == (
        case.title,
        case.source,
        case.date_text,
    )


def test_seed_001_body_starts_with_first_sentence(seeds: dict[str, str]) -> None:
    assert clean(seeds["001_07f07504d3202a46.txt"]).body.startswith("La Russie commencera")


def test_seed_003_repeated_title_and_site_name_reported(seeds: dict[str, str]) -> None:
    removed = clean(seeds["003_ac430c01fe7a889e.txt"]).removed
    assert removed[:3] == (
        ("site_name", "Nouvelles Du Monde"),
        ("title", SEED_CASES[3].title),
        ("title_repeat", SEED_CASES[3].title),
    )


def test_seed_subheadings_survive(seeds: dict[str, str]) -> None:
    bodies = {line for text in seeds.values() for line in clean(text).body.split("\n")}
    for heading in SUBHEADINGS:
        assert heading in bodies


FRENCH_ARTICLE = """\
Le Figaro
Sanctions : l’Union européenne prépare un nouveau train de mesures contre Moscou
Publié le 3 mars 2024 à 10h12, mis à jour le 4 mars 2024 à 08h00
Partager sur Facebook
Partager sur X
Copier le lien
Facebook Twitter E-mail
Imprimer
Ce site utilise des cookies pour améliorer votre expérience de navigation.
Les ministres des Affaires étrangères des Vingt-Sept se retrouvent lundi à Bruxelles.
Le ministre a publié un message sur Facebook dans la soirée pour défendre la réforme.
Sur Twitter, de nombreux internautes ont partagé la vidéo de l’incident.
À lire aussi
Ce que contient le dixième paquet de sanctions
Selon une source diplomatique, les négociations reprendront la semaine prochaine.
Des manifestants rassemblés devant le Parlement européen à Strasbourg
(AFP)
« Nous ne reculerons pas », a-t-il déclaré. (AFP)
Une riposte graduée
La publicité en ligne représente désormais la moitié des revenus du groupe.
Interrogé, le porte-parole n’a pas souhaité faire de commentaire sur ce dossier.
La chaîne compte plus de deux millions d’abonnés sur YouTube.
Source de tensions, le dossier divise les Vingt-Sept depuis des mois.
Publié le 12 mars, le rapport de la Cour des comptes pointe des dérives.
Partager les risques entre alliés est indispensable, estime le diplomate.
À lire aussi : Les sanctions contre Moscou ont-elles un effet ?
Inscrivez-vous à notre newsletter quotidienne
Recevez chaque matin notre lettre d’information gratuite.
Publicité
Suivez-nous sur Instagram et TikTok
© 2024 Le Figaro. Tous droits réservés
"""

FRENCH_NOISE = {
    "Le Figaro": "site_name",
    "Sanctions : l’Union européenne prépare un nouveau train de mesures contre Moscou": "title",
    "Publié le 3 mars 2024 à 10h12, mis à jour le 4 mars 2024 à 08h00": "date_line",
    "Partager sur Facebook": "share",
    "Partager sur X": "share",
    "Copier le lien": "share",
    "Facebook Twitter E-mail": "share",
    "Imprimer": "share",
    "Ce site utilise des cookies pour améliorer votre expérience de navigation.": "cookie",
    "À lire aussi": "read_also",
    "Ce que contient le dixième paquet de sanctions": "read_also_link",
    "Des manifestants rassemblés devant le Parlement européen à Strasbourg": "caption",
    "(AFP)": "credit",
    "À lire aussi : Les sanctions contre Moscou ont-elles un effet ?": "read_also",
    "Inscrivez-vous à notre newsletter quotidienne": "promo",
    "Recevez chaque matin notre lettre d’information gratuite.": "promo",
    "Publicité": "advertising",
    "Suivez-nous sur Instagram et TikTok": "promo",
    "© 2024 Le Figaro. Tous droits réservés": "copyright",
}


def test_french_article_noise_removed_with_reasons() -> None:
    cleaned = clean(FRENCH_ARTICLE)
    for line, rule in FRENCH_NOISE.items():
        assert (rule, line) in cleaned.removed
    assert ("trailing_credit", "(AFP)") in cleaned.removed
    assert len(cleaned.removed) == len(FRENCH_NOISE) + 1


def test_french_article_keeps_sentences_with_trigger_words() -> None:
    cleaned = clean(FRENCH_ARTICLE)
    kept = [line for line in _lines(FRENCH_ARTICLE) if line not in FRENCH_NOISE]
    kept[kept.index("« Nous ne reculerons pas », a-t-il déclaré. (AFP)")] = (
        "« Nous ne reculerons pas », a-t-il déclaré."
    )
    assert cleaned.body.split("\n") == kept


def test_french_article_metadata() -> None:
    cleaned = clean(FRENCH_ARTICLE)
    assert cleaned.title == (
        "Sanctions : l’Union européenne prépare un nouveau train de mesures contre Moscou"
    )
    assert cleaned.source == "Le Figaro"
    assert cleaned.date_text == "3 mars 2024"


ENGLISH_ARTICLE = """\
Russia moves tactical nuclear weapons to Belarus
Published March 12, 2023 at 10:05 am
Share this:
Click to share on Twitter (Opens in new window)
Click to share on Facebook (Opens in new window)
Moscow said on Friday that the first warheads had arrived in Belarus.
He posted the video on Twitter and Facebook within minutes.
Advertisement
The company said its advertising revenue fell sharply in the quarter.
Related:
What we know about Russia's arsenal
Read more: How NATO reacted to the announcement
Analysts said the move was mostly symbolic.
Subscribe to our newsletter
Follow us on Twitter
Sign up for our daily briefing on the war in Ukraine
The deployment is expected to be completed by July.
Officials declined to comment further on the timing.
Leave a Reply
Your email address will not be published. Required fields are marked *
Great article, thanks!
John on March 13, 2023 said: I disagree with the analysis.
"""

ENGLISH_NOISE = {
    "Russia moves tactical nuclear weapons to Belarus": "title",
    "Published March 12, 2023 at 10:05 am": "date_line",
    "Share this:": "share",
    "Click to share on Twitter (Opens in new window)": "share",
    "Click to share on Facebook (Opens in new window)": "share",
    "Advertisement": "advertising",
    "Related:": "read_also",
    "What we know about Russia's arsenal": "read_also_link",
    "Read more: How NATO reacted to the announcement": "read_also",
    "Subscribe to our newsletter": "promo",
    "Follow us on Twitter": "promo",
    "Sign up for our daily briefing on the war in Ukraine": "promo",
    "Leave a Reply": "comments",
    "Your email address will not be published. Required fields are marked *": "comments",
    "Great article, thanks!": "comment_section",
    "John on March 13, 2023 said: I disagree with the analysis.": "comment_section",
}


def test_english_article() -> None:
    cleaned = clean(ENGLISH_ARTICLE)
    removed = _removed_lines(cleaned)
    for line, rule in ENGLISH_NOISE.items():
        assert removed.get(line) == rule, line
    assert cleaned.body.split("\n") == [line for line in _lines(ENGLISH_ARTICLE) if line not in ENGLISH_NOISE]
    assert cleaned.title == "Russia moves tactical nuclear weapons to Belarus"
    assert cleaned.date_text == "March 12, 2023"
    assert cleaned.source is None


PLAIN_ARTICLE = """\
Le gouvernement a présenté mercredi son projet de loi sur l’énergie.

Le texte prévoit une hausse des investissements dans le nucléaire civil.
Un calendrier serré
Les débats doivent commencer au Sénat (Palais du Luxembourg) dès le mois prochain.

(Le ministre a rappelé que le calendrier pouvait encore évoluer selon les discussions.)
« Nous tiendrons les délais (…) quoi qu’il arrive », a assuré la ministre.
Les syndicats, eux, dénoncent une réforme menée « au pas de charge »
Un rapport (1/2) sera remis en juin.
"""


def test_clean_text_comes_back_unchanged() -> None:
    cleaned = clean(PLAIN_ARTICLE)
    assert cleaned == Cleaned(
        body="\n".join(_lines(PLAIN_ARTICLE)), title=None, source=None, date_text=None, removed=()
    )


def test_clean_is_indifferent_to_blank_lines() -> None:
    spaced = clean(FRENCH_ARTICLE.replace("\n", "\n\n"))
    assert spaced == clean(FRENCH_ARTICLE)


def test_known_title_drops_repeats_only() -> None:
    text = "Le Kremlin hausse le ton !\nLe Kremlin hausse le ton\nLe Kremlin a répondu lundi.\n"
    cleaned = clean(text, title="le kremlin  hausse le TON")
    assert cleaned.title == "le kremlin  hausse le TON"
    assert cleaned.body == "Le Kremlin a répondu lundi."
    assert [rule for rule, _ in cleaned.removed] == ["title_repeat", "title_repeat"]


def test_known_title_with_site_name_above_it() -> None:
    text = "Nouvelles Du Monde\nLa Russie hausse le ton\nMoscou a répondu lundi.\n"
    cleaned = clean(text, title="La Russie hausse le ton")
    assert (cleaned.source, cleaned.body) == ("Nouvelles Du Monde", "Moscou a répondu lundi.")


def test_known_title_absent_from_text_removes_nothing() -> None:
    text = "Une ligne courte\nMoscou a répondu lundi.\n"
    cleaned = clean(text, title="Autre chose")
    assert (cleaned.title, cleaned.body, cleaned.removed) == ("Autre chose", text.strip(), ())


def test_short_title_followed_by_sentence_is_not_a_site_name() -> None:
    cleaned = clean("Moscou menace\nLa Russie a averti lundi qu’elle répondrait.\n")
    assert (cleaned.title, cleaned.source) == ("Moscou menace", None)


def test_single_title_like_line_is_body() -> None:
    assert clean("Moscou menace").body == "Moscou menace"


def test_updated_date_used_when_no_published_date() -> None:
    text = "Mis à jour le 04/03/2024 à 8h\nLe texte a été adopté.\n"
    assert clean(text).date_text == "04/03/2024"


def test_published_preferred_over_earlier_updated_line() -> None:
    text = "Mis à jour le 4 mars 2024\nPublié le 3 mars 2024 à 10h12\nLe texte a été adopté.\n"
    cleaned = clean(text)
    assert (cleaned.date_text, cleaned.body) == ("3 mars 2024", "Le texte a été adopté.")


def test_source_line_preferred_over_site_name() -> None:
    text = "Nouvelles Du Monde\nLa Russie hausse le ton\nMoscou a répondu.\nSources : AFP, Reuters\n"
    cleaned = clean(text)
    assert (cleaned.source, cleaned.body) == ("AFP, Reuters", "Moscou a répondu.")


def test_credit_lines_and_their_captions() -> None:
    text = "\n".join(
        [
            "Le sommet s’est ouvert à Vilnius.",
            "Les dirigeants de l’OTAN réunis à Vilnius",
            "Photo : Reuters",
            "La déclaration finale a été adoptée.",
            "Le président ukrainien à son arrivée",
            "© AFP",
            "Les discussions ont duré six heures.",
            "Un soldat dans le Donbass (Photo: John Doe)",
            "Le cessez-le-feu n’a pas tenu.",
        ]
    )
    cleaned = clean(text)
    assert cleaned.body.split("\n") == [
        "Le sommet s’est ouvert à Vilnius.",
        "La déclaration finale a été adoptée.",
        "Les discussions ont duré six heures.",
        "Le cessez-le-feu n’a pas tenu.",
    ]


def test_sentence_before_credit_is_not_a_caption() -> None:
    text = "La déclaration finale a été adoptée.\n(AFP)\nLe sommet se poursuit mardi."
    cleaned = clean(text)
    assert cleaned.body == "La déclaration finale a été adoptée.\nLe sommet se poursuit mardi."
    assert cleaned.removed == (("credit", "(AFP)"),)


def test_long_line_keeps_its_text_and_loses_only_the_photo_credit() -> None:
    sentence = "Le conflit s’enlise. " * 20
    cleaned = clean(f"Le sommet s’est ouvert.\n{sentence}(Jane Roe/Getty Images)")
    assert cleaned.body.split("\n")[1] == sentence.strip()
    assert ("trailing_credit", "(Jane Roe/Getty Images)") in cleaned.removed


def test_agency_credits_in_parentheses_mid_text_are_kept() -> None:
    text = "Les analystes de l’Institut pour l’étude de la guerre (ISW) sont formels.\n"
    text += "Selon le ministère (AFP/Reuters) le bilan s’alourdit."
    assert clean(text).body == text


def test_comment_header_in_first_half_does_not_cut() -> None:
    text = "Le texte a été adopté.\nRéagir\nLes députés ont voté.\nLe Sénat suivra.\nFin."
    cleaned = clean(text)
    assert cleaned.body == "Le texte a été adopté.\nLes députés ont voté.\nLe Sénat suivra.\nFin."
    assert cleaned.removed == (("comments", "Réagir"),)


def test_comment_count_and_french_comment_notice() -> None:
    text = "\n".join(
        [
            "Le texte a été adopté.",
            "Les députés ont voté.",
            "Le Sénat suivra.",
            "12 commentaires",
            "Votre adresse e-mail ne sera pas publiée. Les champs obligatoires sont indiqués *",
            "Ce site utilise Akismet pour réduire les indésirables. En savoir plus.",
            "Très bon article, merci.",
        ]
    )
    cleaned = clean(text)
    assert cleaned.body == "Le texte a été adopté.\nLes députés ont voté.\nLe Sénat suivra."
    assert [rule for rule, _ in cleaned.removed] == [
        "comments",
        "comments",
        "comments",
        "comment_section",
    ]


def test_paywall_and_ad_separator_lines() -> None:
    text = "\n".join(
        [
            "Le texte a été adopté.",
            "- PUBLICITÉ -",
            "La suite après cette publicité",
            "Contenu sponsorisé",
            "Il vous reste 75 % de cet article à lire.",
            "Cet article est réservé aux abonnés.",
            "Déjà abonné ? Se connecter",
            "Les abonnés au service recevront un remboursement.",
        ]
    )
    assert clean(text).body == ("Le texte a été adopté.\nLes abonnés au service recevront un remboursement.")


def test_rules_file_errors_name_the_file(tmp_path: Path) -> None:
    broken = tmp_path / "rules.toml"
    broken.write_text('[limits]\ntitle_max_chars = "x"\n', encoding="utf-8")
    with pytest.raises(RulesError, match="rules.toml"):
        load_rules(broken)


def test_date_prefix_is_reported(seeds: dict[str, str]) -> None:
    assert clean(seeds["001_07f07504d3202a46.txt"]).removed[0] == ("date_prefix", "date 2023-06")


def test_date_prefix_alone_on_its_line() -> None:
    cleaned = clean("date 2024-03-05\nLe texte a été adopté.")
    assert (cleaned.date_text, cleaned.body) == ("2024-03-05", "Le texte a été adopté.")


def test_bulleted_share_bar() -> None:
    text = "Le texte a été adopté.\n- Facebook\n• WhatsApp | Telegram | Messenger\nFin du débat."
    assert clean(text).body == "Le texte a été adopté.\nFin du débat."


def test_question_first_line_is_not_taken_as_title() -> None:
    """Titles ending in "?" stay in the body: a question can also open an article."""
    text = "Faut-il craindre une escalade ?\nLes experts restent partagés."
    assert (clean(text).title, clean(text).body) == (None, text)


NEAR_MISSES = [
    "Le gouvernement a annoncé mardi de nouvelles mesures.",
    "Regardez ce qui se passe sur le terrain, a lancé le général.",
    "Les internautes sont invités à télécharger l’application TousAntiCovid.",
    "Partager le fardeau : c’est la demande de Kiev.",
    "Photo de famille à l’issue du sommet de l’OTAN.",
    "Réagir vite est essentiel, selon les experts.",
    "Publicité mensongère : l’entreprise condamnée.",
    "Source : des documents consultés par l’AFP montrent que l’armée a menti sur ses pertes.",
    "Lire la Constitution ne suffit pas.",
    "Le compte Twitter du Kremlin a été suspendu.",
    "Le site utilise des cookies tiers, selon la CNIL, qui a infligé une amende.",
    "Copyright et droit d’auteur : la directive européenne adoptée en 2019 fait débat.",
    "Inscrivez-vous sur les listes électorales avant le 3 mai, rappelle la préfecture.",
    "Abonnez-vous à la chaîne, lançait-il à chaque vidéo, selon l’enquête.",
    "Annonce du Kremlin : Moscou rappelle son ambassadeur.",
]


def test_sentences_that_look_like_boilerplate_are_kept() -> None:
    text = "\n".join(NEAR_MISSES)
    assert clean(text) == Cleaned(text, None, None, None, ())


def test_known_title_repeated_with_rubric_and_site_name() -> None:
    text = (
        "La Russie hausse le ton | International | Le Site | 12.03.2024\n"
        "La Russie hausse le ton\n"
        "Moscou a répondu lundi.\n"
    )
    cleaned = clean(text, title="La Russie hausse le ton")
    assert cleaned.body == "Moscou a répondu lundi."
    assert [rule for rule, _ in cleaned.removed] == ["title_repeat", "title_repeat"]


def test_dateline_under_a_short_title_is_article_text() -> None:
    text = "MOSCOU - Le Kremlin a annoncé lundi le retrait de ses troupes.\nLa suite demain."
    assert clean(text, title="Moscou").body == text


@pytest.mark.parametrize(
    ("title", "names", "expected"),
    [
        ("La Russie hausse le ton - Le Site", ["Le Site"], "La Russie hausse le ton"),
        ("La Russie hausse le ton | RFI | 12.03.2024", ["rfi.fr"], "La Russie hausse le ton"),
        ("Le vote blanc | Radio Nord", [None, "www.radionord.fr"], "Le vote blanc"),
        ("Le Site | La Russie hausse le ton", ["Le Site"], "La Russie hausse le ton"),
        ("Mon titre - Revue - Analyse critique", ["Revue - Analyse critique"], "Mon titre"),
        ("Ukraine - Russie : le point", ["Le Monde", "lemonde.fr"], "Ukraine - Russie : le point"),
        ("Nord-Kivu : la trêve rompue", ["Le Site"], "Nord-Kivu : la trêve rompue"),
        ("Le Site", ["Le Site"], "Le Site"),
    ],
)
def test_strip_site_name(title: str, names: list[str | None], expected: str) -> None:
    assert strip_site_name(title, names) == expected


TEASER = """\
Le gouvernement a présenté mercredi son projet de loi sur l’énergie, dont le texte prévoit une \
hausse des investissements dans le nucléaire civil et une refonte du marché de l’électricité.
Mais les syndicats, qui dénoncent une réforme menée au pas de charge, promettent de...
Pour lire la suite de cet article :
choisissez l’offre numérique qui vous convient
Créer un compte gratuit
Si vous avez déjà un compte, connectez-vous.
Sans engagement, 2 € par semaine
"""


def test_subscription_offer_under_a_truncated_teaser_is_cut() -> None:
    cleaned = clean(TEASER)
    assert cleaned.body.split("\n") == _lines(TEASER)[:2]
    assert ("paywall_tail", "Sans engagement, 2 € par semaine") in cleaned.removed


def test_paywall_line_without_teaser_does_not_cut() -> None:
    text = TEASER.replace("promettent de...", "promettent une grève.")
    body = clean(text).body.split("\n")
    assert body[-2:] == [
        "choisissez l’offre numérique qui vous convient",
        "Sans engagement, 2 € par semaine",
    ]


def test_self_describing_credit_does_not_take_the_heading_above() -> None:
    text = "\n".join(
        [
            "Le sommet s’est ouvert à Vilnius.",
            "Une alliance sous tension",
            "Image illustrative : des drapeaux devant le siège de l’OTAN, par Jean Dupont, "
            "licence Creative Commons",
            "La déclaration finale a été adoptée.",
        ]
    )
    assert clean(text).body.split("\n") == [
        "Le sommet s’est ouvert à Vilnius.",
        "Une alliance sous tension",
        "La déclaration finale a été adoptée.",
    ]


PAYWALL_NEAR_MISSES = [
    "Pour accéder au site, il faut traverser le pont.",
    "Créer un compte bancaire en ligne devient plus simple.",
    "Connectez-vous à la plateforme avant le 3 mai, rappelle la préfecture.",
    "Pour lire la Constitution, il faut du temps.",
    "Si vous avez déjà un compte Ameli, la démarche prend cinq minutes.",
]


def test_sentences_that_look_like_a_paywall_are_kept() -> None:
    text = "\n".join(PAYWALL_NEAR_MISSES)
    assert clean(text) == Cleaned(text, None, None, None, ())


# Whole or partial: a paywall line is removed and flags the text as truncated.
LE_MONDE_PAYWALL = "Il vous reste 57.09% de cet article à lire. La suite est réservée aux abonnés."
PARAGRAPH = (
    "Le Kremlin a confirmé mardi le déploiement d’armes nucléaires tactiques en Biélorussie, "
    "une annonce aussitôt condamnée par l’OTAN et par plusieurs capitales européennes."
)

PAYWALL_LINES = [
    LE_MONDE_PAYWALL,
    "Il vous reste 75 % de cet article à lire.",
    "Il vous reste 57,5\u202f% de cet article à lire",
    "Il vous reste 85% à découvrir.",
    "Vous avez lu 25% de cet article",
    "Article réservé aux abonnés",
    "» Article réservé aux abonnés.",
    "Réservé aux abonnés",
    "Article abonné",
    "Exclusivité abonnés",
    "Cet article est réservé aux abonnés.",
    "Cet article est réservé aux abonnés. Il vous reste 85% à découvrir.",
    "Cet article est réservé aux abonnés du Monde",
    "Ce contenu est réservé aux abonnés",
    "La suite est réservée aux abonnés.",
    "La suite de cet article est réservée à nos abonnés",
    "La lecture des articles est réservée aux abonnés.",
    "Pour lire la suite",
    "Pour lire la suite, abonnez-vous",
    "Pour lire la suite de cet article :",
    "Pour lire la suite de cet article et accéder à tous nos contenus, abonnez-vous",
    "Pour accéder à l’intégralité de cet article, abonnez-vous.",
    "Pour continuer à lire, connectez-vous ou créez un compte.",
    "Abonnez-vous pour lire la suite",
    "Abonnez-vous pour lire l'article en entier",
    "Connectez-vous pour continuer à lire",
    "Vous avez envie de lire la suite ?",
    "Envie de lire la suite ?",
    "This article is reserved for subscribers.",
    "Subscribe to continue reading",
]

# Sentences that mention subscribers or "la suite" and go on: article text.
NOT_PAYWALL = [
    "Les abonnés au service recevront un remboursement.",
    "La salle est réservée aux abonnés du club depuis 2019.",
    "Cet article est réservé aux abonnés, a rappelé le juge, qui a condamné le site pirate.",
    "La suite est réservée aux abonnés du stade, qui devront présenter leur carte.",
    "Pour lire la suite des événements, il faut remonter à 2019.",
    "Pour lire la suite, il faut remonter à 2019.",
    "Pour continuer à lire, il faut de bonnes lunettes.",
    "Il vous reste 3 % de batterie.",
    "Il reste 40 % des bulletins à dépouiller.",
    "Le Monde réserve désormais ses articles aux abonnés.",
    "Les abonnés peuvent lire la suite dans l’édition de demain.",
    "Abonnez-vous pour lire la suite, lançait-il à ses lecteurs.",
    "Réservé aux abonnés, le parking du centre-ville ouvrira lundi.",
    "Article premium : la gamme haut de gamme de la marque.",
    "Envie de lire la suite de la saga ?",
    "Le tarif réservé aux abonnés augmentera de 5 % en janvier.",
]


@pytest.mark.parametrize("line", PAYWALL_LINES)
def test_paywall_line_is_removed_and_flags_the_text_truncated(line: str) -> None:
    cleaned = clean(f"{PARAGRAPH}\n{line}")
    assert (cleaned.body, cleaned.removed, cleaned.truncated) == (PARAGRAPH, (("paywall", line),), True)


def test_le_monde_paywall_line() -> None:
    """Le Monde's real line: a decimal percentage and a second sentence, once kept."""
    cleaned = clean(f"{PARAGRAPH}\n{PARAGRAPH} Bis.\n{LE_MONDE_PAYWALL}")
    assert LE_MONDE_PAYWALL not in cleaned.body and cleaned.truncated
    assert cleaned.removed == (("paywall", LE_MONDE_PAYWALL),)


@pytest.mark.parametrize("line", NOT_PAYWALL)
def test_sentence_about_subscribers_is_kept_and_the_text_whole(line: str) -> None:
    cleaned = clean(f"{PARAGRAPH}\n{line}")
    assert (cleaned.body, cleaned.removed, cleaned.truncated) == (f"{PARAGRAPH}\n{line}", (), False)


def test_login_prompt_alone_does_not_flag_the_text_truncated() -> None:
    """A whole article's page can show "Déjà abonné ?" or "Connectez-vous" too."""
    lines = ["Déjà abonné ? Se connecter", "Connectez-vous", "Créez votre compte gratuit"]
    cleaned = clean("\n".join([PARAGRAPH, *lines]))
    assert cleaned.body == PARAGRAPH and not cleaned.truncated
    assert [rule for rule, _ in cleaned.removed] == ["account"] * 3


def test_subscription_offer_under_a_teaser_flags_the_text_truncated() -> None:
    """The offer opens with a login prompt, not a paywall line: cut all the same."""
    teaser = TEASER.replace(
        "Pour lire la suite de cet article :\nchoisissez l’offre numérique qui vous convient\n", ""
    )
    cleaned = clean(teaser)
    assert ("paywall_tail", "Sans engagement, 2 € par semaine") in cleaned.removed
    assert "paywall" not in {rule for rule, _ in cleaned.removed} and cleaned.truncated


def test_whole_text_is_not_truncated() -> None:
    assert clean(f"{PARAGRAPH}\n{PARAGRAPH} Bis.").truncated is False


# Authors: byline lines are removed; their people become `authors`.
@pytest.mark.parametrize(
    ("line", "authors"),
    [
        ("Par Jean Dupont", ("Jean Dupont",)),
        ("par Marie-Pierre Haddad.", ("Marie-Pierre Haddad",)),
        ("Par Jean Dupont et Marie Curie", ("Jean Dupont", "Marie Curie")),
        ("Par A. Martin, B. Durand et C. Petit", ("A. Martin", "B. Durand", "C. Petit")),
        ("Par Jean de La Fontaine", ("Jean de La Fontaine",)),
        ("Par Jean d’Ormesson", ("Jean d’Ormesson",)),
        ("Par Jean Dupont avec AFP", ("Jean Dupont",)),
        ("Par Jean Dupont et Marie Curie, envoyés spéciaux à Minsk", ("Jean Dupont", "Marie Curie")),
        ("By John Smith and Jane Doe", ("John Smith", "Jane Doe")),
        # house bylines and wires: removed, but no one signed
        ("Par Les Echos", ()),
        ("Par Le Monde avec AFP", ()),
        ("Par AFP", ()),
        ("Par la rédaction", ()),
        ("Par La Rédaction", ()),
    ],
)
def test_byline_line_is_removed_and_names_the_authors(line: str, authors: tuple[str, ...]) -> None:
    cleaned = clean(f"{PARAGRAPH}\n{line}")
    assert (cleaned.body, cleaned.removed, cleaned.authors) == (PARAGRAPH, (("byline", line),), authors)


NOT_BYLINES = [
    "Par ailleurs, le gouvernement a tranché.",
    "Par la voix de son ministre, Paris a répondu.",
    "Par conséquent",
    "Par Jean Dupont, qui a longtemps dirigé le service, le texte a été relu. Puis adopté.",
    "Passé par Moscou et Minsk, le convoi est arrivé mardi à la frontière.",
]


@pytest.mark.parametrize("line", NOT_BYLINES)
def test_sentence_opening_with_par_is_kept(line: str) -> None:
    cleaned = clean(f"{PARAGRAPH}\n{line}")
    assert (cleaned.body, cleaned.authors) == (f"{PARAGRAPH}\n{line}", ())


def test_authors_of_several_bylines_each_once() -> None:
    cleaned = clean(f"Par Jean Dupont\n{PARAGRAPH}\nPar Jean Dupont et Marie Curie")
    assert (cleaned.body, cleaned.authors) == (PARAGRAPH, ("Jean Dupont", "Marie Curie"))
