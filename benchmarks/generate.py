"""A corpus of heavy French news pages for the benchmark, made deterministically.

Real news pages are mostly not the article, and what makes them expensive to
extract is their DOM, not their bytes: a cookie-consent dialog, a header with
icon buttons, a mega-menu of nested ul/li/a/span with data- attributes, SVG
icons and small teasers, a "Fil info" list of headlines, teaser cards
(figure, picture with its sources, kicker, title, description), ad slots,
share bars, an outbrain-like block of sponsored links and a footer of link
columns, all inside layout wrappers with BEM class names, inline styles and
template comments; plus an app-state JSON blob in a <script>, cheap to skip.
Each of the ten sites has its own template (class prefix, wrappers, article
body container; two containers trafilatura does not know, so it falls back
to the <article>), and 30% of the articles are short wire stories, which
send trafilatura down its costlier fallbacks as on real pages.

How much furniture a page carries (the constants above `page`) is calibrated
so that a bare `trafilatura.extract` of a generated page costs about what it
costs on real French news pages (../shared/corpus/extraction; `make bench`
prints both in its calibration line), at 100-150 KB per page.

Each body is on the default topic (extractors/data/topic.toml: tactical
nuclear weapons in Belarus), so the pipeline keeps it, and is written from
varied sentence templates, names, places and numbers, so that no two bodies
come close to the near-duplicate threshold (MinHash over 5-word shingles,
Jaccard >= 0.6). Page `i` depends only on (seed, i): the first 500 pages of a
1,500-page corpus are the 500-page corpus.

    python -m benchmarks.generate OUT_DIR --pages 1500 [--seed 2024]
"""

from __future__ import annotations

import argparse
import html
import json
import os
import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

DEFAULT_SEED = 2024

# -- vocabulary: data, kept apart from the code that combines it ----------------------

SITES = [
    ("Le Courrier de l'Est", "courrier-est.fr"),
    ("La Dépêche continentale", "depeche-continentale.fr"),
    ("L'Observateur du Rhin", "observateur-rhin.fr"),
    ("Le Journal des Frontières", "journal-frontieres.fr"),
    ("Nouvelles du Monde", "nouvelles-du-monde.fr"),
    ("La Gazette internationale", "gazette-internationale.fr"),
    ("Le Télégramme européen", "telegramme-europeen.fr"),
    ("L'Écho diplomatique", "echo-diplomatique.fr"),
    ("Le Veilleur", "le-veilleur.fr"),
    ("Horizons Est", "horizons-est.fr"),
]

SECTIONS = [
    "International",
    "Europe",
    "Défense",
    "Politique",
    "Économie",
    "Société",
    "Planète",
    "Sciences",
    "Culture",
    "Sport",
    "Idées",
    "Vidéos",
    "Podcasts",
    "Régions",
    "Tech",
    "Santé",
]
SUBSECTIONS = [
    "Ukraine",
    "Russie",
    "Biélorussie",
    "Pologne",
    "Pays baltes",
    "Balkans",
    "Moyen-Orient",
    "Afrique",
    "Asie",
    "Amériques",
    "Union européenne",
    "OTAN",
    "Diplomatie",
    "Armées",
    "Nucléaire",
    "Énergie",
    "Marchés",
    "Entreprises",
    "Emploi",
    "Justice",
    "Éducation",
    "Climat",
    "Biodiversité",
    "Espace",
    "Cinéma",
    "Livres",
    "Musique",
    "Football",
    "Rugby",
    "Tennis",
    "Débats",
    "Tribunes",
    "Entretiens",
    "Reportages",
    "Enquêtes",
    "Décryptages",
    "Cartes",
    "Chronologies",
    "Le direct",
    "Les essentiels",
    "Fact-checking",
    "Portraits",
]

FIRST_NAMES = [
    "Camille",
    "Julien",
    "Sophie",
    "Thomas",
    "Claire",
    "Nicolas",
    "Hélène",
    "Mathieu",
    "Isabelle",
    "Antoine",
    "Marion",
    "Pierre",
    "Élise",
    "François",
    "Nathalie",
    "Olivier",
    "Léa",
    "Guillaume",
    "Anne",
    "Sébastien",
    "Juliette",
    "Laurent",
    "Manon",
    "Étienne",
]
LAST_NAMES = [
    "Durand",
    "Lefèvre",
    "Moreau",
    "Girard",
    "Bonnet",
    "Mercier",
    "Fontaine",
    "Chevalier",
    "Rousseau",
    "Blanchard",
    "Gauthier",
    "Perrin",
    "Marchand",
    "Dupuis",
    "Lambert",
    "Roche",
    "Vasseur",
    "Caron",
    "Barbier",
    "Renaud",
    "Picard",
    "Arnaud",
    "Colin",
    "Lemaire",
]
INSTITUTES = [
    "l'Institut français des relations internationales",
    "la Fondation pour la recherche stratégique",
    "l'Institut de recherche stratégique de l'École militaire",
    "l'université de Varsovie",
    "le Centre d'études de sécurité de Vilnius",
    "l'Institut international d'études stratégiques",
    "le Carnegie Endowment",
    "l'Institut de Stockholm de recherche sur la paix",
    "Sciences Po",
    "l'Observatoire de la dissuasion",
    "le Conseil européen pour les relations internationales",
]
EXPERT_ROLES = [
    "chercheuse associée à",
    "spécialiste de la dissuasion à",
    "ancien diplomate, aujourd'hui à",
    "directeur de recherche à",
    "analyste militaire à",
    "professeur de relations internationales à",
    "ancienne conseillère au ministère des Armées, désormais à",
    "historien du nucléaire à",
]

SPEAKERS = [
    "Vladimir Poutine",
    "le président russe",
    "Alexandre Loukachenko",
    "le dirigeant biélorusse",
    "le Kremlin",
    "le porte-parole du Kremlin, Dmitri Peskov",
    "Sergueï Choïgou",
    "le ministre russe de la Défense",
    "Dmitri Medvedev",
    "le vice-président du Conseil de sécurité russe",
    "le ministre biélorusse de la Défense, Viktor Khrenine",
    "Volodymyr Zelensky",
    "le président ukrainien",
    "le secrétaire général de l'OTAN",
    "un porte-parole du Pentagone",
    "la diplomatie française",
    "le chef de la diplomatie européenne",
    "Antony Blinken",
    "le directeur de l'Agence internationale de l'énergie atomique",
    "un haut responsable américain",
    "le ministère ukrainien des Affaires étrangères",
    "la présidence polonaise",
    "le gouvernement lituanien",
    "Svetlana Tikhanovskaïa, figure de l'opposition biélorusse",
]
SAY = [
    "a affirmé",
    "a déclaré",
    "a assuré",
    "a estimé",
    "a martelé",
    "a rappelé",
    "a averti",
    "a confirmé",
    "a laissé entendre",
    "a souligné",
    "a prévenu",
    "a reconnu",
    "a insisté sur le fait",
    "a jugé",
    "a fait savoir",
    "a indiqué",
    "a répété",
    "a soutenu",
]
SAY_INV = [
    "a déclaré",
    "a affirmé",
    "a lancé",
    "a insisté",
    "a ajouté",
    "a résumé",
    "a tranché",
    "a poursuivi",
    "a expliqué",
    "a mis en garde",
    "a ironisé",
    "a conclu",
]
WHEN = [
    "lundi",
    "mardi",
    "mercredi",
    "jeudi",
    "vendredi",
    "samedi",
    "dimanche",
    "ce week-end",
    "jeudi soir",
    "mardi matin",
    "dans la nuit de samedi à dimanche",
    "en début de semaine",
    "vendredi après-midi",
    "mercredi en fin de journée",
    "dimanche à la télévision publique",
]
VENUES = [
    "lors d'une conférence de presse à Minsk",
    "dans un entretien à la télévision d'État",
    "devant le Conseil de sécurité des Nations unies",
    "à l'issue d'un entretien avec son homologue",
    "lors d'une réunion au Kremlin",
    "dans un message publié sur Telegram",
    "en marge d'un sommet à Saint-Pétersbourg",
    "devant les députés de la Douma",
    "au cours d'une visite à Vilnius",
    "depuis Bruxelles",
    "lors d'un forum économique à Sotchi",
    "dans une interview accordée à une agence russe",
    "devant des officiers réunis à Moscou",
    "au terme d'une réunion des ministres de l'OTAN",
]
CLAIMS = [
    "que les premières ogives nucléaires tactiques étaient déjà arrivées sur le sol biélorusse",
    "que le déploiement des armes nucléaires tactiques en Biélorussie serait achevé avant l'hiver",
    "que des lanceurs Iskander capables d'emporter des charges nucléaires avaient été livrés à Minsk",
    "que toute agression contre la Biélorussie serait considérée comme une attaque contre la Russie",
    "que Moscou garderait le contrôle exclusif des armes nucléaires stationnées chez son voisin",
    "que les pilotes biélorusses avaient été formés à l'emploi de munitions nucléaires",
    "qu'aucun traité international n'interdisait ce transfert d'armes atomiques",
    "que l'arsenal russe restait le premier au monde par le nombre d'ogives",
    "que la dissuasion nucléaire russe répondait aux livraisons d'armes occidentales à l'Ukraine",
    "que l'Occident jouait avec le feu en poussant à l'escalade",
    "que les menaces nucléaires de Moscou relevaient surtout du chantage",
    "que l'Alliance atlantique n'avait constaté aucun changement de posture nucléaire russe",
    "que le risque d'escalade nucléaire restait faible mais ne pouvait être écarté",
    "que la Biélorussie ne disposerait jamais du code de lancement de ces armes",
    "que la doctrine nucléaire russe pourrait être révisée dans les prochains mois",
    "que les sites de stockage spéciaux avaient été construits en un temps record",
    "que Minsk était prêt à accueillir des armes stratégiques si la menace grandissait",
    "que cette décision violait l'esprit du traité de non-prolifération",
    "que les avions Su-25 biélorusses avaient été adaptés pour porter des bombes atomiques",
    "que les exercices conjoints incluaient désormais des scénarios d'emploi d'armes nucléaires",
    "qu'une frappe nucléaire tactique aurait des conséquences catastrophiques pour toute la région",
    "que l'uranium appauvri livré à Kiev justifiait une réponse ferme",
    "que la Russie n'utiliserait l'arme nucléaire qu'en cas de menace existentielle",
    "que les discussions sur la maîtrise des armements étaient au point mort",
]
FACTS = [
    "la Russie disposerait d'environ {n1} ogives nucléaires tactiques, selon les estimations occidentales",
    "ces armes ont une portée de quelques centaines de kilomètres et une puissance de {n2} à {n3} kilotonnes",
    "les premières livraisons auraient eu lieu en {month}, à en croire des images satellites",
    "un dépôt situé près de {town} aurait été modernisé pour accueillir des charges nucléaires",
    "les États-Unis déploient de leur côté une centaine de bombes B61 dans cinq pays européens",
    "aucune arme nucléaire russe n'avait été stationnée hors du territoire national depuis {year}",
    "la Biélorussie avait renoncé à son arsenal soviétique au milieu des années 1990",
    "le stock mondial d'armes nucléaires est estimé à quelque {n4} ogives",
    "les missiles Iskander ont une portée d'environ {n5} kilomètres",
    "la frontière entre la Biélorussie et la Pologne s'étend sur près de {n6} kilomètres",
    "Minsk sert depuis février 2022 de base arrière à l'armée russe",
    "les forces stratégiques russes ont mené {n7} exercices de dissuasion depuis le début de l'année",
    "le référendum de 2022 a supprimé le statut non nucléaire de la Biélorussie de sa Constitution",
    "plusieurs milliers de soldats russes seraient toujours présents sur le territoire biélorusse",
    "le budget militaire biélorusse aurait augmenté de {n8} % en un an",
]
TOWNS = [
    "Assipovitchy",
    "Baranovitchi",
    "Lida",
    "Machoulichtchy",
    "Hrodna",
    "Brest",
    "Homiel",
    "Babrouïsk",
    "Vitebsk",
    "Moguilev",
    "Pinsk",
    "Maladetchna",
    "Sloutsk",
    "Zhodzina",
]
MONTHS = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
]
QUOTES = [
    "Nous ne menaçons personne, mais nous ne laisserons personne nous menacer",
    "Ces armes sont là pour dissuader, pas pour combattre",
    "C'est une escalade délibérée et irresponsable",
    "Le monde n'a jamais été aussi proche d'un usage de l'arme nucléaire depuis la crise de Cuba",
    "Il s'agit avant tout d'un message politique adressé à l'OTAN",
    "La Biélorussie devient de fait un territoire avancé de la Russie",
    "Nous surveillons la situation de très près avec nos alliés",
    "Personne ne gagnera jamais une guerre nucléaire",
    "Loukachenko a troqué la souveraineté de son pays contre la protection du Kremlin",
    "Ce déploiement ne change rien à l'équilibre militaire, mais il change tout sur le plan symbolique",
    "La dissuasion repose sur la crédibilité, et Moscou cherche à la renforcer",
    "Nous prendrons toutes les mesures nécessaires pour protéger notre territoire",
    "Le chantage nucléaire ne fera pas plier l'Ukraine",
    "Chaque annonce de Poutine vise à diviser les Européens",
]
ANALYSES = [
    "le Kremlin cherche d'abord à peser sur le débat occidental autour de l'aide militaire à Kiev",
    "le déploiement reste surtout symbolique, la Russie pouvant déjà frapper l'Europe depuis Kaliningrad",
    "Loukachenko a perdu toute marge de manœuvre face à Moscou depuis la répression de 2020",
    "la présence d'armes nucléaires en Biélorussie complique la planification de l'OTAN sur son flanc est",
    "la rhétorique nucléaire de Moscou monte d'un cran à chaque revers sur le front ukrainien",
    "les pays baltes et la Pologne réclameront des garanties supplémentaires lors du prochain sommet",
    "Pékin, soucieux de stabilité, voit d'un mauvais œil cette surenchère atomique",
    "le risque principal tient moins à une décision délibérée qu'à une erreur de calcul",
    "la Russie teste les lignes rouges occidentales sans jamais les franchir ouvertement",
    "les garanties de sécurité données à Minsk engagent désormais directement Moscou",
    "l'annonce vise aussi l'opinion publique russe, à qui le pouvoir veut montrer sa fermeté",
    "cette stratégie d'escalade verbale a jusqu'ici eu un effet limité sur le soutien occidental",
    "la surveillance des sites de stockage sera un enjeu majeur pour les services de renseignement",
]
CONNECTORS = [
    "Par ailleurs, ",
    "De son côté, ",
    "Dans le même temps, ",
    "Toutefois, ",
    "En outre, ",
    "Au même moment, ",
    "Plus tôt dans la journée, ",
    "Quelques heures plus tard, ",
    "Pour autant, ",
    "À Kiev, ",
    "À Bruxelles, ",
    "À Varsovie, ",
    "À Washington, ",
    "",
    "",
    "",
    "",
]
CONTEXTS = [
    "les combats se poursuivent dans l'est de l'Ukraine",
    "l'OTAN doit réunir ses ministres de la Défense la semaine prochaine",
    "Kiev prépare une contre-offensive d'ampleur",
    "les Occidentaux viennent d'annoncer de nouvelles livraisons de chars",
    "la Pologne renforce sa présence militaire à la frontière",
    "les négociations sur le contrôle des armements sont suspendues depuis des mois",
    "la Russie a suspendu sa participation au traité New Start",
    "Minsk multiplie les exercices militaires conjoints avec Moscou",
    "les pays baltes ont fermé plusieurs points de passage frontaliers",
    "l'Agence internationale de l'énergie atomique s'inquiète pour la centrale de Zaporijjia",
]
HEADINGS = [
    "Un message adressé à l'OTAN",
    "Des sites de stockage prêts",
    "Inquiétude à Varsovie",
    "La question du contrôle",
    "Une dissuasion élargie",
    "Minsk, base avancée de Moscou",
    "Ce que dit la doctrine russe",
    "Des réactions mesurées",
    "Le précédent de 1994",
    "Les Iskander en première ligne",
    "Un risque d'escalade",
    "Le calcul de Loukachenko",
]
TITLE_PATTERNS = [
    "{who} confirme l'arrivée d'armes nucléaires tactiques en Biélorussie",
    "Armes nucléaires en Biélorussie : {who} hausse le ton",
    "Biélorussie : le déploiement d'ogives russes inquiète {whom}",
    "Poutine et Loukachenko affichent leur alliance atomique face à {whom}",
    "Nucléaire tactique : ce que l'on sait du déploiement russe près de {town}",
    "Escalade nucléaire : {whom} réclame des garanties après les annonces de Minsk",
    "Les armes atomiques russes en Biélorussie, un défi pour {whom}",
    "Dissuasion : {who} répond à l'OTAN depuis {town}",
]
WHOM = [
    "l'OTAN",
    "Varsovie",
    "les pays baltes",
    "Kiev",
    "Washington",
    "les Européens",
    "Vilnius",
    "Paris",
    "Berlin",
    "l'Agence internationale de l'énergie atomique",
]
WHO_SHORT = ["Moscou", "Minsk", "Le Kremlin", "Loukachenko", "Poutine", "Choïgou", "Medvedev"]

TEASER_WORDS = [
    "réforme",
    "budget",
    "élections",
    "grève",
    "inflation",
    "sécheresse",
    "incendies",
    "procès",
    "sommet",
    "enquête",
    "tournoi",
    "festival",
    "record",
    "vaccin",
    "satellite",
    "migrants",
    "retraites",
    "loyers",
    "transports",
    "universités",
    "hôpital",
    "énergie",
    "chômage",
    "impôts",
]


@dataclass(frozen=True, slots=True)
class Corpus:
    directory: Path
    paths: list[Path]
    total_bytes: int


# -- prose ---------------------------------------------------------------------------------


def _expert(rng: random.Random) -> str:
    name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
    return f"{name}, {rng.choice(EXPERT_ROLES)} {rng.choice(INSTITUTES)}"


def _fact(rng: random.Random) -> str:
    return rng.choice(FACTS).format(
        n1=rng.choice([1500, 1600, 1800, 1900, 2000, 2200]),
        n2=rng.choice([1, 2, 5, 10]),
        n3=rng.choice([50, 80, 100, 300]),
        month=rng.choice(MONTHS),
        town=rng.choice(TOWNS),
        year=rng.choice([1991, 1992, 1996]),
        n4=rng.choice([12500, 12700, 13000, 12100]),
        n5=rng.choice([400, 480, 500]),
        n6=rng.choice([400, 418, 420]),
        n7=rng.randint(3, 19),
        n8=rng.randint(8, 47),
    )


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _sentence(rng: random.Random) -> str:
    kind = rng.randrange(9)
    if kind == 0:
        return (f"{rng.choice(CONNECTORS)}{rng.choice(SPEAKERS)} {rng.choice(SAY)} "
                f"{rng.choice(WHEN)} {rng.choice(CLAIMS)}.")  # fmt: skip
    if kind == 1:
        return (f"{_cap(rng.choice(WHEN))}, {rng.choice(VENUES)}, {rng.choice(SPEAKERS)} "
                f"{rng.choice(SAY)} {rng.choice(CLAIMS)}.")  # fmt: skip
    if kind == 2:
        return f"« {rng.choice(QUOTES)} », {rng.choice(SAY_INV)} {rng.choice(SPEAKERS)} {rng.choice(VENUES)}."
    if kind == 3:
        return f"Selon {_expert(rng)}, {rng.choice(ANALYSES)}."
    if kind == 4:
        return f"{rng.choice(CONNECTORS)}{_fact(rng)}."
    if kind == 5:
        return f"Cette déclaration intervient alors que {rng.choice(CONTEXTS)}, et que {_fact(rng)}."
    if kind == 6:
        return (f"Pour {_expert(rng)}, interrogé par notre rédaction, {rng.choice(ANALYSES)}, "
                f"d'autant que {rng.choice(CONTEXTS)}.")  # fmt: skip
    if kind == 7:
        n = rng.randint(2, 40)
        return (f"Depuis {n} {'jours' if n < 15 else 'semaines'}, {rng.choice(SPEAKERS)} "
                f"{rng.choice(SAY)} à plusieurs reprises {rng.choice(CLAIMS)}.")  # fmt: skip
    return f"{_cap(rng.choice(CONNECTORS) or 'Ainsi, ')}{rng.choice(ANALYSES)}, selon {_expert(rng)}."


def _lead(rng: random.Random, town: str) -> str:
    """The first paragraph always states the topic, so every page is on topic."""
    return (
        f"{_cap(rng.choice(WHEN))}, {rng.choice(['Vladimir Poutine', 'Alexandre Loukachenko'])} "
        f"{rng.choice(SAY)} {rng.choice(CLAIMS)}. Le déploiement d'armes nucléaires tactiques russes "
        f"en Biélorussie, près de {town}, marque une nouvelle étape dans l'escalade entre Moscou "
        f"et l'OTAN, {rng.choice(ANALYSES)}. {_sentence(rng)}"
    )


SHORT_SHARE = 0.3  # wire stories: a lead and one to three paragraphs


def article_paragraphs(rng: random.Random, town: str) -> list[str]:
    paragraphs = [_lead(rng, town)]
    for _ in range(rng.randint(1, 3) if rng.random() < SHORT_SHARE else rng.randint(4, 11)):
        paragraphs.append(" ".join(_sentence(rng) for _ in range(rng.randint(2, 5))))
    return paragraphs


# -- page furniture ------------------------------------------------------------------------
#
# Markup as news CMSs and front-end frameworks write it: BEM class names, wrappers
# inside wrappers, data- attributes for tracking and lazy loading, inline SVG
# icons, <picture> elements with several sources, HTML comments left by the
# templates. Each site has its own template (class names, article body
# container), as real sites do.


def _slug(text: str) -> str:
    keep = "".join(c if c.isalnum() else "-" for c in text.lower())
    return "-".join(p for p in keep.split("-") if p)[:80]


@dataclass(frozen=True, slots=True)
class _Template:
    p: str  # class prefix of the site's design system
    body: str  # class of the article body container
    wrap: int  # layout wrappers around every region


TEMPLATES = [
    _Template("", "article__content", 3),
    _Template("c-", "article-body", 4),
    _Template("ds-", "entry-content", 3),
    _Template("o-", "story-body", 4),
    _Template("", "article__body", 5),
    _Template("ui-", "rich-text", 3),  # a class trafilatura does not know: it takes the <article>
    _Template("c-", "article__content", 4),
    _Template("", "paywall-zone", 3),
    _Template("ds-", "article-text", 5),
    _Template("o-", "article__body", 4),
]

ICONS = {
    "chevron": ["M7.41 8.59 12 13.17l4.59-4.58L18 10l-6 6-6-6 1.41-1.41z"],
    "search": [
        "M15.5 14h-.79l-.28-.27A6.471 6.471 0 0 0 16 9.5 6.5 6.5 0 1 0 9.5 16c1.61 0 3.09-.59 "
        "4.23-1.57l.27.28v.79l5 4.99L20.49 19l-4.99-5zm-6 0C7.01 14 5 11.99 5 9.5S7.01 5 9.5 "
        "5 14 7.01 14 9.5 11.99 14 9.5 14z"
    ],  # fmt: skip
    "user": [
        "M12 12c2.21 0 4-1.79 4-4s-1.79-4-4-4-4 1.79-4 4 1.79 4 4 4zm0 2c-2.67 0-8 1.34-8 "
        "4v2h16v-2c0-2.66-5.33-4-8-4z"
    ],  # fmt: skip
    "menu": ["M3 18h18v-2H3v2zm0-5h18v-2H3v2zm0-7v2h18V6H3z"],
    "close": [
        "M19 6.41 17.59 5 12 10.59 6.41 5 5 6.41 10.59 12 5 17.59 6.41 19 12 13.41 17.59 19 "
        "19 17.59 13.41 12z"
    ],  # fmt: skip
    "facebook": [
        "M22 12c0-5.52-4.48-10-10-10S2 6.48 2 12c0 4.84 3.44 8.87 8 9.8V15H8v-3h2V9.5C10 "
        "7.57 11.57 6 13.5 6H16v3h-2c-.55 0-1 .45-1 1v2h3v3h-3v6.95c5.05-.5 "
        "9-4.76 9-9.95z"
    ],  # fmt: skip
    "x": [
        "M18.244 2.25h3.308l-7.227 8.26 8.502 11.24H16.17l-5.214-6.817L4.99 21.75H1.68l7.73-8.835"
        "L1.254 2.25H8.08l4.713 6.231zm-1.161 17.52h1.833L7.084 4.126H5.117z"
    ],  # fmt: skip
    "linkedin": [
        "M19 3a2 2 0 0 1 2 2v14a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2h14m-.5 "
        "15.5v-5.3a3.26 3.26 0 0 0-3.26-3.26c-.85 0-1.84.52-2.32 1.3v-1.11h-2.79v8.37h2.79"
        "v-4.93c0-.77.62-1.4 1.39-1.4a1.4 1.4 0 0 1 1.4 1.4v4.93h2.79M6.88 8.56a1.68 1.68 0 "
        "0 0 1.68-1.68c0-.93-.75-1.69-1.68-1.69a1.69 1.69 0 0 0-1.69 1.69c0 .93.76 1.68 "
        "1.69 1.68m1.39 9.94v-8.37H5.5v8.37h2.77z"
    ],  # fmt: skip
    "whatsapp": [
        "M16.75 13.96c.25.13.41.2.46.3.06.11.04.61-.21 1.18-.2.56-1.24 1.1-1.7 1.12-.46.02"
        "-.47.36-2.96-.73-2.49-1.09-3.99-3.75-4.11-3.92-.12-.17-.96-1.38-.92-2.61.05-1.22.69"
        "-1.8.95-2.04.24-.26.51-.29.68-.26h.47c.15 0 .36-.06.55.45l.69 1.87c.06.13.1.28.01"
        ".44l-.27.41-.39.42c-.12.12-.26.25-.12.5.12.26.62 1.09 1.32 1.78.91.88 1.71 1.17 "
        "1.95 1.3.24.14.39.12.54-.04l.81-.94c.19-.25.35-.19.58-.11l1.67.88z"
    ],  # fmt: skip
    "mail": [
        "M20 4H4c-1.1 0-1.99.9-1.99 2L2 18c0 1.1.9 2 2 2h16c1.1 0 2-.9 2-2V6c0-1.1-.9-2-2-2zm0 "
        "4-8 5-8-5V6l8 5 8-5v2z"
    ],  # fmt: skip
    "link": [
        "M3.9 12c0-1.71 1.39-3.1 3.1-3.1h4V7H7c-2.76 0-5 2.24-5 5s2.24 5 5 5h4v-1.9H7c-1.71 "
        "0-3.1-1.39-3.1-3.1zM8 13h8v-2H8v2zm9-6h-4v1.9h4c1.71 0 3.1 1.39 3.1 3.1s-1.39 3.1-3.1 "
        "3.1h-4V17h4c2.76 0 5-2.24 5-5s-2.24-5-5-5z"
    ],  # fmt: skip
    "play": ["M8 5v14l11-7z"],
    "bookmark": ["M17 3H7c-1.1 0-1.99.9-1.99 2L5 21l7-3 7 3V5c0-1.1-.9-2-2-2z"],
    "lock": [
        "M18 8h-1V6c0-2.76-2.24-5-5-5S7 3.24 7 6v2H6c-1.1 0-2 .9-2 2v10c0 1.1.9 2 2 2h12c1.1 0 "
        "2-.9 2-2V10c0-1.1-.9-2-2-2zm-6 9c-1.1 0-2-.9-2-2s.9-2 2-2 2 .9 2 2-.9 2-2 2zm3.1-9H8.9"
        "V6c0-1.71 1.39-3.1 3.1-3.1 1.71 0 3.1 1.39 3.1 3.1v2z"
    ],  # fmt: skip
    "comment": ["M21.99 4c0-1.1-.89-2-1.99-2H4c-1.1 0-2 .9-2 2v12c0 1.1.9 2 2 2h14l4 4-.01-18z"],
    "clock": [
        "M11.99 2C6.47 2 2 6.48 2 12s4.47 10 9.99 10C17.52 22 22 17.52 22 12S17.52 2 11.99 "
        "2zM12 20c-4.42 0-8-3.58-8-8s3.58-8 8-8 8 3.58 8 8-3.58 8-8 8z",
        "M12.5 7H11v6l5.25 3.15.75-1.23-4.5-2.67z",
    ],  # fmt: skip
}

TEASER_PATTERNS = [
    "{W} : ce qu'il faut retenir sur {w2} et {w3}",
    "{W} : le gouvernement promet des mesures sur {w2}",
    "{Place} : {w1} et {w2}, les deux dossiers qui inquiètent",
    "« Nous ne lâcherons rien » : à {place}, la colère monte autour de {w1}",
    "{W}, {w2}, {w3} : les chiffres de la semaine",
    "Pourquoi {w1} pourrait changer la donne pour {w2}",
    "{W} : à {place}, les habitants face à {w2}",
    "EN IMAGES. {W} et {w2} : retour sur une semaine agitée",
    "{W} : les propositions des candidats sur {w2} passées au crible",
    "Quiz : êtes-vous incollable sur {w1} et {w2} ?",
]
TEASER_DESCS = [
    "Le gouvernement a présenté mercredi un projet de loi visant à simplifier les démarches des "
    "entreprises, tandis que les syndicats appellent à une nouvelle journée de mobilisation.",
    "Réunis en congrès, les élus locaux réclament davantage de moyens pour faire face à la hausse "
    "des dépenses et dénoncent un désengagement de l'État.",
    "Nos journalistes ont passé une semaine sur place pour comprendre ce qui se joue derrière "
    "les annonces officielles et les chiffres publiés par la préfecture.",
    "La décision, attendue depuis plusieurs mois, divise la majorité et suscite l'inquiétude "
    "des professionnels du secteur, qui redoutent des effets en cascade.",
    "Entre promesses de campagne et contraintes budgétaires, la marge de manœuvre de l'exécutif "
    "apparaît plus étroite que jamais, selon plusieurs économistes.",
    "Le dispositif, expérimenté dans trois départements, doit être généralisé à la rentrée "
    "malgré les réserves exprimées par les associations.",
]
PLACES = ["Lyon", "Marseille", "Lille", "Nantes", "Rennes", "Strasbourg", "Bordeaux", "Toulouse",
          "Montpellier", "Grenoble", "Dijon", "Brest", "Rouen", "Metz", "Nice", "Tours"]  # fmt: skip
PSEUDOS = ["citoyen_vigilant", "Marc75", "lectrice_assidue", "Jean-Paul D.", "sceptique33",
           "Observateur", "Nadia_R", "vieux_abonne", "Kalinka", "Brestois29", "Pierre-Yves"]  # fmt: skip
COMMENTS = [
    "Merci pour cet article très clair, on comprend enfin les enjeux.",
    "Toujours la même rhétorique, rien de nouveau sous le soleil depuis des mois.",
    "Il serait utile de rappeler ce que disent exactement les traités signés dans les années 1990.",
    "Je ne vois pas en quoi cela change la situation sur le terrain, honnêtement.",
    "Article intéressant mais un peu court sur les réactions des pays voisins.",
    "La question est surtout de savoir qui contrôle réellement ces armes.",
    "On joue avec le feu, et personne ne semble vouloir calmer le jeu.",
    "Très bon décryptage, comme d'habitude. Continuez ainsi !",
]
CMP_PURPOSES = [
    ("Stocker et/ou accéder à des informations sur un appareil",
     "Les cookies, identifiants d'appareils ou autres informations peuvent être stockés ou "
     "consultés sur votre appareil pour les finalités qui vous sont présentées."),
    ("Publicités et contenu personnalisés, mesure de performance",
     "Les publicités et le contenu peuvent être personnalisés sur la base de votre profil."),
    ("Mesure d'audience", "Nous mesurons la fréquentation du site pour en améliorer les contenus."),
    ("Développer et améliorer les services",
     "Les informations sur votre activité peuvent être utilisées pour améliorer nos produits."),
    ("Partage sur les réseaux sociaux",
     "Des boutons de partage permettent de publier nos contenus sur vos réseaux."),
    ("Contenus vidéo et audio", "Des lecteurs tiers affichent les vidéos et podcasts intégrés."),
]  # fmt: skip


@dataclass
class _Ctx:
    rng: random.Random
    site: str
    domain: str
    t: _Template

    def c(self, name: str) -> str:
        """A class name of the site's design system."""
        return self.t.p + name

    def url(self, *parts: str) -> str:
        """A link inside the site (relative, as templates write them)."""
        return "/" + "/".join(parts) + ("/" if parts else "")

    def img(self, key: str, w: int) -> str:
        return f"https://img.{self.domain}/{w}x{w * 9 // 16}/smart/{key}.jpg"


def _icon(name: str, cls: str = "icon") -> str:
    """An icon from the page's SVG sprite (see `_sprite`)."""
    return (f'<svg class="{cls} {cls}--{name}" width="24" height="24" aria-hidden="true" '
            f'focusable="false"><use href="#i-{name}"></use></svg>')  # fmt: skip


def _sprite() -> str:
    symbols = "".join(
        f'<symbol id="i-{name}" viewBox="0 0 24 24">' + "".join(f'<path d="{d}"></path>' for d in paths)
        + "</symbol>"
        for name, paths in ICONS.items()
    )  # fmt: skip
    return f'<svg xmlns="http://www.w3.org/2000/svg" style="display:none" aria-hidden="true">{symbols}</svg>'


def _picture(x: _Ctx, key: str, alt: str, cls: str, widths: tuple[int, ...] = (320, 640)) -> str:
    sources = "".join(
        f'<source media="(min-width: {w + 1}px)" srcset="{x.img(key, w)}.webp" type="image/webp">'
        for w in reversed(widths[1:])
    )  # fmt: skip
    return (f'<picture class="{x.c(cls)}">{sources}<source srcset="{x.img(key, widths[0])}.webp" '
            f'type="image/webp"><img class="{x.c(cls + "__img")}" src="{x.img(key, widths[0])}" '
            f'alt="{html.escape(alt)}" width="{widths[0]}" height="{widths[0] * 9 // 16}" '
            f'loading="lazy" decoding="async"></picture>')  # fmt: skip


def _wrap(x: _Ctx, inner: str, names: tuple[str, ...]) -> str:
    """`inner` inside one div per name (layout wrappers)."""
    opened = "".join(f'<div class="{x.c(n)}">' for n in names)
    return opened + inner + "</div>" * len(names)


def _layout(x: _Ctx, inner: str, region: str) -> str:
    names = ("container", "row", f"col col--{region}", f"{region}__inner", f"{region}__wrapper")
    return _wrap(x, inner, names[: x.t.wrap])


def _teaser_title(rng: random.Random) -> str:
    w = rng.sample(TEASER_WORDS, 3)
    place = rng.choice(PLACES)
    return rng.choice(TEASER_PATTERNS).format(W=_cap(w[0]), w1=w[0], w2=w[1], w3=w[2],
                                              Place=place, place=place)  # fmt: skip


def _teaser(rng: random.Random, domain: str, n: int) -> tuple[str, str]:
    title = _teaser_title(rng)
    url = f"/actualites/{_slug(title)}-{n}.html"
    return title, url


def _mini_card(x: _Ctx, position: int) -> str:
    """A small teaser (menus, lists): thumbnail and title."""
    rng = x.rng
    title, url = _teaser(rng, x.domain, rng.randint(10_000, 999_999))
    key = f"{rng.getrandbits(40):010x}"
    return (f'<div class="{x.c("mini-card")}" data-position="{position}"><a class="{x.c("mini-card__link")}" '
            f'href="{url}"><span class="{x.c("mini-card__thumb")}"><img src="{x.img(key, 160)}" alt="" '
            f'width="160" height="90" loading="lazy"></span><span class="{x.c("mini-card__title")}">'
            f"{html.escape(title)}</span></a></div>")  # fmt: skip


def _card(x: _Ctx, variant: str, position: int, with_desc: bool = True) -> str:
    rng = x.rng
    title, url = _teaser(rng, x.domain, rng.randint(10_000, 999_999))
    section = rng.choice(SECTIONS)
    key = f"{rng.getrandbits(40):010x}"
    badge = ""
    if rng.random() < 0.25:
        badge = (f'<span class="{x.c("card__badge")} {x.c("card__badge--video")}">'
                 f'{_icon("play")}<span class="{x.c("card__badge-label")}">Vidéo</span></span>')  # fmt: skip
    premium = ""
    if rng.random() < 0.3:
        premium = (f'<span class="{x.c("card__premium")}" data-premium="true">{_icon("lock")}'
                   '<span class="sr-only">Article réservé aux abonnés</span></span>')  # fmt: skip
    desc = (f'<p class="{x.c("card__desc")}">{html.escape(rng.choice(TEASER_DESCS))}</p>'
            if with_desc else "")  # fmt: skip
    hours = rng.randint(1, 23)
    return (
        f'<article class="{x.c("card")} {x.c("card--" + variant)}" data-id="{key}" '
        f'data-position="{position}" data-track-category="teaser-{variant}">'
        f'<a class="{x.c("card__link")}" href="{url}" data-gtm-click="card|{variant}|{position}">'
        f'<div class="{x.c("card__media")}" style="--ratio:56.25%">'
        f'<figure class="{x.c("card__figure")}">{_picture(x, key, title, "card__picture")}</figure>{badge}</d'
        'iv>'
        f'<div class="{x.c("card__content")}"><div class="{x.c("card__header")}">'
        f'<span class="{x.c("card__kicker")}">{html.escape(section)}</span>{premium}</div>'
        f'<h3 class="{x.c("card__title")}"><span '
        f'class="{x.c("card__title-text")}">{html.escape(title)}</span></h3>'
        f'{desc}<div class="{x.c("card__footer")}"><span class="{x.c("card__date")}">{_icon("clock")}'
        f'<time datetime="PT{hours}H">Il y a {hours} h</time></span>'
        f'<button class="{x.c("card__save")}" type="button" '
        f'aria-label="Sauvegarder">{_icon("bookmark")}</button>'
        f"</div></div></a></article><!-- /.card -->"
    )  # fmt: skip


# -- regions of the page -----------------------------------------------------------------


def _cookie_banner(x: _Ctx) -> str:
    purposes = "".join(
        f'<li class="cmp-purpose" data-purpose-id="{i + 1}"><div class="cmp-purpose__header">'
        f'<span class="cmp-purpose__title">{html.escape(name)}</span>'
        f'<label class="cmp-switch"><input type="checkbox" class="cmp-switch__input" '
        f'data-purpose="{i + 1}" aria-label="{html.escape(name)}"><span class="cmp-switch__slider">'
        f'</span></label><button class="cmp-purpose__toggle" type="button" aria-expanded="false">'
        f'{_icon("chevron")}</button></div><div class="cmp-purpose__body" hidden>'
        f'<p class="cmp-purpose__desc">{html.escape(desc)}</p></div></li>'
        for i, (name, desc) in enumerate(CMP_PURPOSES)
    )  # fmt: skip
    return (
        '<!-- Consent Management Platform --><div id="cookie-banner" class="cmp cmp--bottom" '
        'role="dialog" aria-modal="true" aria-label="Cookies" data-cmp-version="2.3.1" '
        'style="z-index:2147483647"><div class="cmp-container"><div class="cmp-content">'
        f'<div class="cmp-header"><span class="cmp-logo">{html.escape(x.site)}</span>'
        f'<button class="cmp-close" type="button" aria-label="Fermer">{_icon("close")}</button></div>'
        '<div class="cmp-body"><p class="cmp-intro">Ce site utilise des cookies et des technologies '
        "similaires pour mesurer l'audience, personnaliser les contenus et vous proposer des "
        "publicités adaptées. En poursuivant votre navigation, vous acceptez l'utilisation de "
        f'cookies.</p><ul class="cmp-purposes">{purposes}</ul></div>'
        '<div class="cmp-footer"><button class="cmp-btn cmp-btn--accept">Tout accepter</button>'
        '<button class="cmp-btn cmp-btn--reject">Tout refuser</button>'
        f'<a class="cmp-link" href="{x.url("cookies")}">Paramétrer les cookies</a>'
        f'<a class="cmp-link" href="{x.url("partenaires")}">Voir nos 842 partenaires</a></div>'
        "</div></div></div><!-- /CMP -->"
    )  # fmt: skip


def _header(x: _Ctx, published: datetime) -> str:
    rng = x.rng
    quick = "".join(
        f'<li class="{x.c("topbar__item")}"><a class="{x.c("topbar__link")}" '
        f'href="{x.url(_slug(s))}" data-track="topbar">{html.escape(s)}</a></li>'
        for s in rng.sample(SUBSECTIONS, 8)
    )  # fmt: skip
    return (
        f'<a class="{x.c("skip-link")}" href="#main">Aller au contenu</a>'
        f'<div class="{x.c("topbar")}"><div class="{x.c("topbar__container")}">'
        f'<span class="{x.c("topbar__date")}">{published.day} {MONTHS[published.month - 1]} {published.year}<'
        '/span>'
        f'<ul class="{x.c("topbar__list")}">{quick}</ul></div></div>'
        f'<header class="{x.c("header")}" id="header" data-sticky="true"><div '
        f'class="{x.c("header__container")}">'
        f'<div class="{x.c("header__left")}"><button class="{x.c("header__burger")}" type="button" '
        f'aria-controls="main-menu" aria-expanded="false">{_icon("menu")}<span '
        f'class="{x.c("header__burger-label")}">'
        f'Menu</span></button><button class="{x.c("header__search-toggle")}" '
        f'type="button">{_icon("search")}</button></div>'
        f'<div class="{x.c("header__center")}"><a class="{x.c("header__logo")}" href="{x.url()}" '
        f'title="{html.escape(x.site)}">'
        f'<svg class="{x.c("logo")}" viewBox="0 0 240 40" role="img" aria-label="{html.escape(x.site)}">'
        f'<path d="M0 0h40v40H0z M50 8h8v24h-8z M64 8h20v6H70v4h12v6H70v8h-6z M90 8h8v18h12v6H90z '
        f'M116 8h22v6h-7v18h-8V14h-7z M144 8h8v10h8V8h8v24h-8V24h-8v8h-8z"></path></svg></a></div>'
        f'<div class="{x.c("header__right")}"><a class="{x.c("header__subscribe")}" '
        f'href="{x.url("abonnement")}" '
        f'data-track="header-subscribe">S\'abonner<span class="{x.c("header__offer")}">1 € le premier '
        'mois</span></a>'
        f'<a class="{x.c("header__account")}" href="{x.url("compte")}">{_icon("user")}'
        f'<span class="{x.c("header__account-label")}">Se connecter</span></a></div></div>'
        f'<form class="{x.c("search-form")}" action="{x.url("recherche")}" role="search" hidden>'
        f'<label class="sr-only" for="q">Rechercher</label><input id="q" type="search" name="q" '
        f'placeholder="Rechercher un article, un sujet, un auteur" autocomplete="off">'
        f'<button type="submit">{_icon("search")}</button></form></header>'
    )  # fmt: skip


def _nav(x: _Ctx, sections: int, subitems: tuple[int, int], featured: int) -> str:
    rng = x.rng
    m = x.c("mega-menu")
    parts = [f'<nav class="{m}" id="main-menu" aria-label="Menu principal" data-component="megamenu">'
             f'<div class="{m}__container"><ul class="{m}__list" role="menubar">']  # fmt: skip
    for n, section in enumerate(SECTIONS[:sections]):
        s = _slug(section)
        parts.append(
            f'<li class="{m}__item {m}__item--has-children" role="none" data-menu-id="{n}">'
            f'<a class="{m}__link" role="menuitem" href="{x.url(s)}" aria-haspopup="true" '
            f'aria-expanded="false" data-track-label="nav|{s}"><span class="{m}__label">'
            f'{html.escape(section)}</span>{_icon("chevron", "icon icon--small")}</a>'
            f'<div class="{m}__panel" data-panel="{n}"><div class="{m}__panel-inner">'
            f'<div class="{m}__columns">'
        )  # fmt: skip
        subs = rng.sample(SUBSECTIONS, rng.randint(*subitems))
        half = (len(subs) + 1) // 2
        for col, chunk in enumerate((subs[:half], subs[half:])):
            parts.append(f'<div class="{m}__column" data-column="{col}"><span class="{m}__column-title">'
                         f'{"Rubriques" if col == 0 else "À la une"}</span><ul '
                         f'class="{m}__sublist">')  # fmt: skip
            for sub in chunk:
                parts.append(
                    f'<li class="{m}__subitem"><a class="{m}__sublink" href="{x.url(s, _slug(sub))}" '
                    f'data-index="{len(parts)}"><span class="{m}__sublabel">'
                    f"{html.escape(sub)}</span></a></li>"
                )  # fmt: skip
            parts.append("</ul></div>")
        cards = "".join(_mini_card(x, i) for i in range(featured if n % 2 == 0 else 0))
        parts.append(f'<div class="{m}__featured">{cards}</div></div></div></div></li>')
    parts.append(f"</ul></div></nav><!-- /{m} -->")
    return "".join(parts)


def _breadcrumb(x: _Ctx) -> str:
    items = [("Accueil", x.url()), ("International", x.url("international")),
             ("Europe", x.url("international", "europe"))]  # fmt: skip
    lis = "".join(
        f'<li class="{x.c("breadcrumb__item")}" itemprop="itemListElement" itemscope '
        f'itemtype="https://schema.org/ListItem"><a class="{x.c("breadcrumb__link")}" itemprop="item" '
        f'href="{u}"><span itemprop="name">{n}</span></a><meta itemprop="position" content="{i + 1}"></li>'
        for i, (n, u) in enumerate(items)
    )  # fmt: skip
    return (f'<nav class="{x.c("breadcrumb")}" aria-label="Fil d\'Ariane">'
            f'<ol class="{x.c("breadcrumb__list")}" '
            f'itemscope itemtype="https://schema.org/BreadcrumbList">{lis}</ol></nav>')  # fmt: skip


def _share(x: _Ctx, where: str) -> str:
    nets = [("facebook", "Facebook"), ("x", "X"), ("linkedin", "LinkedIn"), ("whatsapp", "WhatsApp"),
            ("mail", "E-mail"), ("link", "Copier le lien")]  # fmt: skip
    links = "".join(
        f'<li class="{x.c("share__item")}"><a class="{x.c("share__link")} {x.c("share__link--" + k)}" '
        f'href="#" data-share="{k}" data-track="share|{where}|{k}" rel="noopener">{_icon(k)}'
        f'<span class="sr-only">{label}</span></a></li>'
        for k, label in nets
    )  # fmt: skip
    return (f'<div class="{x.c("share-bar")}" data-position="{where}">'
            f'<ul class="{x.c("share__list")}">{links}</ul></div>')  # fmt: skip


def _ad(x: _Ctx, slot: str, height: int) -> str:
    return (f'<!-- Begin ad slot {slot} --><div class="{x.c("ad")} ad-slot ad--{slot}" id="ad-{slot}" '
            f'data-ad-slot="/2164/{x.domain}/article/{slot}" data-ad-sizes="[[300,250],[300,600],[728,90]]" '
            f'data-lazy="true" style="min-height:{height}px"><div class="ad__label">Publicité</div>'
            f'<div class="ad__container" id="gpt-{slot}"></div></div><!-- End ad slot {slot} '
            '-->')  # fmt: skip


def _inline(rng: random.Random, x: _Ctx, text: str) -> str:
    """A paragraph's markup: the same text, with links and emphasis where
    editors put them (names of people and places)."""
    out = html.escape(text)
    for name in ("Vladimir Poutine", "Alexandre Loukachenko", "Biélorussie", "OTAN", "Kremlin"):
        if name in out and rng.random() < 0.5:
            out = out.replace(name, f'<a class="{x.c("article__link")}" href="{x.url("sujet", _slug(name))}" '
                                    f'data-track="inline-link">{name}</a>', 1)  # fmt: skip
    if "« " in out:
        start = out.index("« ")
        end = out.find(" »", start)
        if end > start:
            out = f"{out[:start]}<em>{out[start : end + 2]}</em>{out[end + 2 :]}"
    return out


def _article(x: _Ctx, title: str, author: str, published: datetime, paragraphs: list[str],
             index: int) -> str:  # fmt: skip
    rng = x.rng
    a = x.c("article")
    iso = published.isoformat()
    photo = f"{rng.getrandbits(40):010x}"
    body: list[str] = []
    blocks = x.t.wrap >= 4  # block-based editors wrap every paragraph
    for i, para in enumerate(paragraphs):
        if i and i % 3 == 0:
            body.append(f'<h2 class="{a}__subtitle">{html.escape(rng.choice(HEADINGS))}</h2>')
        text = f'<p class="{a}__paragraph">{_inline(rng, x, para)}</p>'
        if blocks:
            block_id = f"{rng.getrandbits(32):08x}"
            text = (f'<div class="{x.c("block")} {x.c("block--text")}" data-block-id="{block_id}">'
                    f'<div class="{x.c("block__inner")}">{text}</div></div>')  # fmt: skip
        body.append(text)
        if i == 0:
            points = "".join(f'<li class="{a}__key-point"><span>{html.escape(_sentence(rng))}</span></li>'
                             for _ in range(3))  # fmt: skip
            body.append(f'<div class="{a}__key-points">'
                        f'<span class="{a}__key-points-title">L\'essentiel</span>'
                        f'<ul class="{a}__key-points-list">{points}</ul></div>')  # fmt: skip
        if i == 3:
            body.append(f'<div class="{a}__inline-related" data-component="inline-related">'
                        f'{_card(x, "inline", 0)}</div>')  # fmt: skip
        if i == 5:
            body.append(
                f'<div class="{x.c("newsletter-inline")}" data-component="newsletter"><div '
                f'class="{x.c("newsletter-inline__inner")}">'
                f'<span class="{x.c("newsletter-inline__title")}">{_icon("mail")}La lettre '
                'International</span>'
                f"<p>Recevez chaque semaine le meilleur de l'actualité internationale.</p>"
                f'<form action="{x.url("newsletters")}"><input type="email" name="email" '
                'placeholder="Adresse e-mail">'
                f'<button type="submit">Je m\'inscris</button></form></div></div>'
            )  # fmt: skip
        if i == 7:
            quote, who = rng.choice(QUOTES), rng.choice(SPEAKERS)
            body.append(
                f'<div class="{a}__embed embed embed--social"><blockquote class="twitter-tweet" '
                'data-lang="fr" '
                f'data-dnt="true"><p lang="fr" dir="ltr">{html.escape(quote)}.</p>&mdash; {html.escape(who)} '
                f'<a href="https://twitter.example/status/{rng.getrandbits(60)}">{published.day} '
                f"{MONTHS[published.month - 1]} {published.year}</a></blockquote></div>"
            )  # fmt: skip
        if i == 1:
            rel_title, rel_url = _teaser(rng, x.domain, index)
            body.append(
                f'<aside class="{a}__read-also read-also"><span class="read-also__label">Lire aussi</span>'
                f'<a class="read-also__link" href="{rel_url}" '
                f'data-track="read-also">{html.escape(rel_title)}</a>'
                f"</aside>"
            )  # fmt: skip
        if i in (2, 6):
            body.append(_ad(x, f"inread-{i}", 250))
        if i == 4:
            body.append(
                f'<div class="{a}__embed embed embed--video" data-provider="player" data-video-id="x{photo}">'
                f'<div class="embed__ratio" style="padding-top:56.25%"><div class="embed__poster">'
                f'{_picture(x, photo + "v", "", "embed__picture")}<button class="embed__play" type="button" '
                f'aria-label="Lire la vidéo">{_icon("play")}</button></div></div></div>'
            )  # fmt: skip
    tags = "".join(
        f'<li class="{x.c("tags__item")}"><a class="{x.c("tags__link")}" href="{x.url("sujet", _slug(t))}">'
        f"{html.escape(t)}</a></li>"
        for t in rng.sample(SUBSECTIONS, 6)
    )  # fmt: skip
    comments = ""
    if rng.random() < 0.5:
        items = "".join(
            f'<li class="comment" id="comment-{rng.getrandbits(24)}"><div class="comment__header">'
            f'<span class="comment__author">{rng.choice(PSEUDOS)}</span><time class="comment__date">'
            f'il y a {rng.randint(2, 59)} min</time></div><p '
            f'class="comment__text">{html.escape(rng.choice(COMMENTS))}</p>'
            f'<div class="comment__actions"><button type="button">Répondre</button>'
            f'<button type="button">Signaler</button></div></li>'
            for _ in range(rng.randint(2, 6))
        )  # fmt: skip
        comments = f'<ol class="comments-list">{items}</ol>'
    return (
        f'<article class="{a} {a}--standard" itemscope itemtype="https://schema.org/NewsArticle" '
        f'data-article-id="{index}" data-section="international">'
        f'<header class="{a}__header"><div class="{a}__kicker"><a href="{x.url("international")}">'
        f'International</a></div><h1 class="{a}__title" itemprop="headline">{html.escape(title)}</h1>'
        f'<p class="{a}__desc" '
        f'itemprop="description">{html.escape(paragraphs[0][:180].rsplit(" ", 1)[0])}…</p>'
        f'<div class="{a}__meta"><div class="{a}__authors"><img class="{a}__avatar" '
        f'src="{x.img("auteurs/" + _slug(author), 48)}" '
        f'alt="" width="48" height="48"><span class="{a}__byline">Par <a class="{a}__author" rel="author" '
        f'href="{x.url("auteurs", _slug(author))}">{html.escape(author)}</a></span></div>'
        f'<div class="{a}__dates"><time class="{a}__date" datetime="{iso}" itemprop="datePublished">'
        f'Publié le {published.day} {MONTHS[published.month - 1]} {published.year} à {published:%Hh%M}</time>'
        f'<span class="{a}__reading-time">{_icon("clock")}Lecture {len(paragraphs) + 2} min.</span></div>'
        '</div>'
        f'{_share(x, "top")}</header>'
        f'<figure class="{a}__media" itemprop="image" itemscope itemtype="https://schema.org/ImageObject">'
        f'<div class="{a}__media-ratio" '
        'style="padding-top:56.25%"'
        f'>{_picture(x, photo, "Des lanceurs Iskander", "article__picture", (480, 960, 1440))}</div>'
        f'<figcaption class="{a}__caption"><span class="{a}__caption-text">Des lanceurs Iskander lors d\'un '
        f"exercice conjoint près de la frontière.</span> <span class=\"{a}__credit\">AFP</span></figcaption>"
        "</figure>"
        f'<div class="{x.t.body}" itemprop="articleBody">{"".join(body)}</div>'
        f'<div class="{a}__footer"><ul class="{x.c("tags")}">{tags}</ul>{_share(x, "bottom")}</div>'
        f'<section class="{x.c("author-box")}"><img src="{x.img("auteurs/" + _slug(author), 96)}" alt="" '
        'width="96">'
        f'<div class="{x.c("author-box__text")}"><span '
        f'class="{x.c("author-box__name")}">{html.escape(author)}</span>'
        f'<a class="{x.c("author-box__follow")}" href="#" data-follow="author">Suivre</a></div></section>'
        f'<section class="comments" id="comments"><h3 class="comments__title">{_icon("comment")}Réagissez à '
        'cet '
        f'article</h3><p class="comments__login">Connectez-vous pour commenter.</p>{comments}</section>'
        f"</article>"
    )  # fmt: skip


def _sidebar(x: _Ctx, cards: int, feed: int) -> str:
    rng = x.rng
    popular = "".join(
        f'<li class="{x.c("most-read__item")}"><a class="{x.c("most-read__link")}" href="{u}">'
        f'<span class="{x.c("most-read__rank")}">{i + 1}</span><span class="{x.c("most-read__title")}">'
        f"{html.escape(t)}</span></a></li>"
        for i, (t, u) in enumerate(_teaser(rng, x.domain, rng.randint(1000, 99999)) for _ in range(10))
    )  # fmt: skip
    teasers = "".join(_card(x, "sidebar", i) for i in range(cards))
    return (
        f'<aside class="{x.c("sidebar")}" aria-label="Autres '
        f'articles">{_live_feed(x, feed)}{_ad(x, "mpu-1", 600)}'
        f'<section class="{x.c("most-read")}"><h2 class="{x.c("section-title")}">Les plus lus</h2>'
        f'<ol class="{x.c("most-read__list")}">{popular}</ol></section>'
        f'<section class="{x.c("sidebar__block")}"><h2 class="{x.c("section-title")}">À la '
        f'une</h2>{teasers}</section>'
        f'<div class="{x.c("newsletter")}"><h2>Newsletter</h2><p>Chaque matin, l\'essentiel de '
        'l\'actualité.</p>'
        f'<form action="{x.url("newsletter")}"><input type="email" placeholder="Votre adresse e-mail">'
        f'<button type="submit">S\'inscrire</button></form></div>{_ad(x, "mpu-2", 600)}</aside>'
    )  # fmt: skip


def _live_feed(x: _Ctx, items: int) -> str:
    """The "Fil info" list of the latest headlines, with times and tags."""
    rng, f = x.rng, x.c("feed")
    rows = []
    for _ in range(items):
        title, url = _teaser(rng, x.domain, rng.randint(10_000, 999_999))
        rows.append(
            f'<li class="{f}__item"><div class="{f}__row"><span class="{f}__time">'
            f"{rng.randint(6, 23):02d}:{rng.randint(0, 59):02d}</span><div class=\"{f}__body\">"
            f'<a class="{f}__link" href="{url}">{html.escape(title)}</a>'
            f'<span class="{f}__tag">{html.escape(rng.choice(SECTIONS))}</span></div></div></li>'
        )  # fmt: skip
    return (f'<section class="{x.c("live-feed")}" data-refresh="60"><h2 class="{x.c("section-title")}">'
            f'Fil info</h2><ul class="{f}__list">{"".join(rows)}</ul></section>')  # fmt: skip


def _below(x: _Ctx, related: int, partners: int) -> str:
    rng = x.rng
    grid = "".join(_card(x, "related", i) for i in range(related))
    sponsored = "".join(
        f'<div class="ob-dynamic-rec-container ob-recIdx-{i}" data-pos="{i}"><a class="ob-dynamic-rec-link" '
        f'href="https://partner.example/click?r={rng.getrandbits(48):012x}" target="_blank" rel="nofollow">'
        f'<div class="ob-rec-image-container"><div class="ob-image-ratio" style="padding-top:66%">'
        f'<img class="ob-rec-image" src="{x.img("sponso/" + str(i), 300)}" alt="" loading="lazy"></div></div>'
        f'<div class="ob-rec-text-container"><span class="ob-rec-source">Partenaire</span>'
        f'<span class="ob-rec-text">{html.escape(_teaser_title(rng))}</span></div></a></div>'
        for i in range(partners)
    )  # fmt: skip
    return (
        f'<section class="{x.c("related")}" id="related"><h2 class="{x.c("section-title")}">Sur le même '
        'sujet</h2>'
        f'<div class="{x.c("grid")} {x.c("grid--3")}">{grid}</div></section>'
        f'<div class="OUTBRAIN" data-widget-id="AR_1" data-ob-template="{html.escape(x.site)}">'
        f'<div class="ob-widget ob-grid-layout"><div class="ob-widget-header">Contenus sponsorisés</div>'
        f'<div class="ob-widget-items-container">{sponsored}</div></div></div>'
    )  # fmt: skip


def _footer(x: _Ctx, columns: int, per_column: int) -> str:
    rng = x.rng
    f = x.c("footer")
    cols = []
    for section in rng.sample(SECTIONS, columns):
        links = "".join(
            f'<li class="{f}__item"><a class="{f}__link" href="{x.url(_slug(section), _slug(sub))}" '
            f'data-track="footer"><span class="{f}__label">{html.escape(sub)}</span></a></li>'
            for sub in rng.sample(SUBSECTIONS, per_column)
        )  # fmt: skip
        cols.append(f'<div class="{f}__column"><span class="{f}__heading">{html.escape(section)}</span>'
                    f'<ul class="{f}__list">{links}</ul></div>')  # fmt: skip
    social = "".join(
        f'<li><a class="{f}__social-link" href="https://{k}.example/{_slug(x.site)}" rel="noopener" '
        f'aria-label="{k}">{_icon(k)}</a></li>'
        for k in ("facebook", "x", "linkedin", "whatsapp")
    )  # fmt: skip
    legal = ["Mentions légales", "Conditions générales", "Politique de confidentialité",
             "Gestion des cookies", "Nous contacter", "Publicité", "Plan du site", "Recrutement",
             "Charte de déontologie", "Accessibilité"]  # fmt: skip
    legal_html = "".join(f'<li class="{f}__legal-item"><a href="{x.url(_slug(s))}">{s}</a></li>'
                         for s in legal)  # fmt: skip
    return (
        f'<footer class="{f}" id="footer"><div class="{f}__container"><div class="{f}__top">'
        f'<div class="{f}__brand"><span class="{f}__logo">{html.escape(x.site)}</span>'
        f'<ul class="{f}__social">{social}</ul><div class="{f}__apps">'
        f'<a href="#"><img src="{x.img("badges/app-store", 120)}" alt="Télécharger dans l\'App Store" '
        'width="120"></a>'
        f'<a href="#"><img src="{x.img("badges/google-play", 120)}" alt="Disponible sur Google Play" '
        'width="120"></a>'
        f'</div></div><div class="{f}__columns">{"".join(cols)}</div></div>'
        f'<div class="{f}__bottom"><ul class="{f}__legal">{legal_html}</ul>'
        f'<p class="{f}__copyright">© {html.escape(x.site)} {rng.choice([2022, 2023])}. Tous droits '
        'réservés. '
        "Reproduction interdite sans autorisation.</p></div></div></footer><!-- /footer -->"
    )  # fmt: skip


def _css(rng: random.Random, rules: int) -> str:
    props = ["margin:0 auto", "padding:0 16px", "display:flex", "align-items:center",
             "font-size:1.125rem", "line-height:1.5", "color:#1a1a1a", "position:relative",
             "grid-template-columns:repeat(3,1fr)", "gap:24px", "max-width:1200px",
             "border-bottom:1px solid #e5e5e5", "font-weight:700", "text-transform:uppercase"]  # fmt: skip
    names = ["header", "card", "article", "mega-menu", "footer", "sidebar", "share", "grid",
             "most-read", "breadcrumb", "tags", "author-box", "ad", "cmp"]  # fmt: skip
    parts = []
    for i in range(rules):
        sel = f".{rng.choice(names)}__{rng.choice(['inner', 'title', 'link', 'item', 'list', 'media'])}"
        parts.append(f"{sel}{{{';'.join(rng.sample(props, 3))}}}")
        if i % 20 == 19:
            parts.append(f"@media (min-width:{rng.choice([768, 1024, 1280])}px){{{sel}{{display:none}}}}")
    return "".join(parts)


def _state_blob(rng: random.Random, domain: str, size: int) -> str:
    """The app state a JS framework serialises into the page: all noise."""
    items, length, n = [], 0, 0
    while length < size:
        title, url = _teaser(rng, domain, n)
        item = {
            "id": f"art-{rng.getrandbits(48):012x}",
            "title": title,
            "url": url,
            "teaser": rng.choice(TEASER_DESCS),
            "tags": rng.sample(TEASER_WORDS, 4),
            "image": {"src": f"{url}.webp", "width": 1200, "height": 675, "credits": "AFP"},
            "metrics": {"views": rng.randint(100, 90_000), "shares": rng.randint(0, 900)},
            "flags": {"premium": rng.random() < 0.3, "live": False, "video": rng.random() < 0.2},
        }
        length += len(json.dumps(item, ensure_ascii=False)) + 1
        items.append(item)
        n += 1
    state = {"page": {"type": "article", "domain": domain}, "feed": {"items": items},
             "ads": {"slots": ["top", "mpu-1", "mpu-2", "sticky"], "provider": "exampleads"}}  # fmt: skip
    return json.dumps(state, ensure_ascii=False, separators=(",", ":"))


# How much furniture a page carries, tuned so that a bare `trafilatura.extract` of a
# generated page costs about what it costs on real French news pages (see run.py's
# calibration line): 122 KB on average, 99-145 KB. The bytes left up to the page's
# target size are an app-state blob, as in real pages, and cost little to skip.
MENU_SECTIONS = (10, 16)  # sections of the mega-menu
MENU_SUBITEMS = (5, 10)  # links per section
MENU_FEATURED = (2, 4)  # small teasers in every other section panel
SIDEBAR_CARDS = (3, 5)
FEED_ITEMS = (15, 25)  # headlines in the "Fil info" list
RELATED_CARDS = (5, 8)
PARTNER_ITEMS = (4, 8)
FOOTER_COLUMNS = (5, 8)
FOOTER_LINKS = (5, 8)
CSS_RULES = (30, 60)


def page(index: int, seed: int = DEFAULT_SEED) -> tuple[str, str]:
    """(file name, HTML) of page `index` of the corpus made with `seed`."""
    rng = random.Random(f"veille-bench:{seed}:{index}")
    site_index = rng.randrange(len(SITES))
    site, domain = SITES[site_index]
    x = _Ctx(rng, site, domain, TEMPLATES[site_index])
    town = rng.choice(TOWNS)
    title = rng.choice(TITLE_PATTERNS).format(who=rng.choice(WHO_SHORT), whom=rng.choice(WHOM), town=town)
    published = datetime(2023, 3, 1, tzinfo=UTC) + timedelta(minutes=rng.randrange(300 * 24 * 60))
    slug = f"{_slug(title)}-{index:06d}"
    url = f"https://www.{domain}/international/{published:%Y/%m/%d}/{slug}.html"
    author = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
    paragraphs = article_paragraphs(rng, town)

    esc_title, esc_site = html.escape(title), html.escape(site)
    iso = published.isoformat()
    ld = json.dumps({"@context": "https://schema.org", "@type": "NewsArticle", "headline": title,
                     "datePublished": iso, "author": {"@type": "Person", "name": author},
                     "publisher": {"@type": "Organization", "name": site}}, ensure_ascii=False)  # fmt: skip
    build = rng.getrandbits(32)
    preloads = "".join(
        f'<link rel="preload" href="https://cdn.{domain}/static/{name}.{build:08x}.js" as="script">'
        for name in ("runtime", "vendors", "main", "article", "ads", "consent")
    )  # fmt: skip
    head = (
        f'<!DOCTYPE html><html lang="fr" class="no-js" data-theme="light"><head><meta charset="utf-8">'
        f"<title>{esc_title} – {esc_site}</title>"
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="description" content="{html.escape(paragraphs[0][:150])}">'
        f'<meta name="robots" content="max-image-preview:large">'
        f'<meta property="og:site_name" content="{esc_site}"><meta property="og:title" content="{esc_title}">'
        f'<meta property="og:type" content="article"><meta property="og:url" content="{url}">'
        f'<meta property="og:image" content="{x.img("og/" + slug, 1200)}">'
        '<meta name="twitter:card" content="summary_large_image"><meta name="twitter:title" '
        f'content="{esc_title}">'
        f'<meta property="article:published_time" content="{iso}">'
        f'<meta property="article:section" content="International">'
        f'<meta name="author" content="{html.escape(author)}"><link rel="canonical" href="{url}">'
        f'<link rel="preconnect" href="https://cdn.{domain}"><link rel="dns-prefetch" '
        f'href="https://img.{domain}">'
        f'{preloads}<link rel="stylesheet" href="https://cdn.{domain}/static/main.{build:08x}.css">'
        f'<link rel="icon" href="https://cdn.{domain}/favicon.ico">'
        f'<script type="application/ld+json">{ld}</script>'
        f'<style>{_css(rng, rng.randint(*CSS_RULES))}</style>'
        f"<!-- Google Tag Manager --><script>(function(w,d,s,l,i){{w[l]=w[l]||[];w[l].push({{'gtm.start':"
        f"new Date().getTime(),event:'gtm.js'}});}})(window,document,'script','dataLayer','GTM-{build:06X}');"
        "</script>"
        f'<!-- End Google Tag Manager --><script src="https://cdn.{domain}/static/main.{build:08x}.js" defer>'
        '</script></head>'
    )  # fmt: skip
    main = (
        f'<main id="main" class="{x.c("main")}" role="main">{_ad(x, "banner-top", 90)}{_breadcrumb(x)}'
        f'<div class="{x.c("layout")}"><div class="{x.c("layout__main")}">'
        + _layout(x, _article(x, title, author, published, paragraphs, index), "article")
        + f'</div><div class="{x.c("layout__aside")}">'
        + _layout(x, _sidebar(x, rng.randint(*SIDEBAR_CARDS), rng.randint(*FEED_ITEMS)), "aside")
        + "</div></div>"
        + _layout(x, _below(x, rng.randint(*RELATED_CARDS), rng.randint(*PARTNER_ITEMS)), "below")
        + "</main>"
    )  # fmt: skip
    body = (
        f'<body class="{x.c("page")} {x.c("page--article")}" data-page-type="article">'
        f'<noscript><iframe src="https://www.googletagmanager.com/ns.html?id=GTM-{build:06X}" height="0" '
        f'width="0" style="display:none;visibility:hidden"></iframe></noscript>'
        f'<div id="app" data-hydrate="true"><div class="{x.c("app")}">'
        + _sprite()
        + _cookie_banner(x)
        + _header(x, published)
        + _nav(x, rng.randint(*MENU_SECTIONS), MENU_SUBITEMS, rng.randint(*MENU_FEATURED))
        + main
        + _footer(x, rng.randint(*FOOTER_COLUMNS), rng.randint(*FOOTER_LINKS))
        + "</div></div>"
    )  # fmt: skip
    analytics = (
        "<script>window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push(arguments);}"
        f"gtag('js',new Date());gtag('config','G-{rng.getrandbits(40):010X}');</script>"
    )
    shell = head + body + analytics
    target = rng.randint(90_000, 130_000)
    room = max(2_000, target - len(shell.encode("utf-8")) - 64)
    state = f"<script>window.__INITIAL_STATE__={_state_blob(rng, domain, room)};</script>"
    return f"{index:06d}-{slug[:60]}.html", shell + state + "</body></html>"


def generate(directory: Path, pages: int, seed: int = DEFAULT_SEED) -> Corpus:
    """Write pages 0..pages-1 into `directory` (created if missing), dated an
    hour ago: a drop folder's files younger than [ingest] min_file_age_seconds
    wait for a later run, and the benchmark ingests them at once."""
    directory.mkdir(parents=True, exist_ok=True)
    paths, total = [], 0
    past = time.time() - 3600
    for i in range(pages):
        name, text = page(i, seed)
        data = text.encode("utf-8")
        path = directory / name
        path.write_bytes(data)
        os.utime(path, (past, past))
        paths.append(path)
        total += len(data)
    return Corpus(directory, paths, total)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--pages", type=int, default=1500)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args()
    corpus = generate(args.directory, args.pages, args.seed)
    print(f"{len(corpus.paths)} pages, {corpus.total_bytes / len(corpus.paths) / 1024:.0f} KB each "
          f"on average, in {corpus.directory}")  # fmt: skip


if __name__ == "__main__":
    main()
