"""A corpus of heavy French news pages for the benchmark, made deterministically.

Real news pages are mostly not the article: a mega-menu of hundreds of links,
the app's state serialised as a big JSON blob in a <script>, a cookie banner,
share bars, lists of related articles and a footer of links. This is what
makes extraction expensive, so the pages here have all of it, at a realistic
size (100-150 KB each), around a short article body (5-12 paragraphs).

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
import random
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
    "International", "Europe", "Défense", "Politique", "Économie", "Société", "Planète",
    "Sciences", "Culture", "Sport", "Idées", "Vidéos", "Podcasts", "Régions", "Tech", "Santé",
]
SUBSECTIONS = [
    "Ukraine", "Russie", "Biélorussie", "Pologne", "Pays baltes", "Balkans", "Moyen-Orient",
    "Afrique", "Asie", "Amériques", "Union européenne", "OTAN", "Diplomatie", "Armées",
    "Nucléaire", "Énergie", "Marchés", "Entreprises", "Emploi", "Justice", "Éducation",
    "Climat", "Biodiversité", "Espace", "Cinéma", "Livres", "Musique", "Football", "Rugby",
    "Tennis", "Débats", "Tribunes", "Entretiens", "Reportages", "Enquêtes", "Décryptages",
    "Cartes", "Chronologies", "Le direct", "Les essentiels", "Fact-checking", "Portraits",
]

FIRST_NAMES = [
    "Camille", "Julien", "Sophie", "Thomas", "Claire", "Nicolas", "Hélène", "Mathieu",
    "Isabelle", "Antoine", "Marion", "Pierre", "Élise", "François", "Nathalie", "Olivier",
    "Léa", "Guillaume", "Anne", "Sébastien", "Juliette", "Laurent", "Manon", "Étienne",
]
LAST_NAMES = [
    "Durand", "Lefèvre", "Moreau", "Girard", "Bonnet", "Mercier", "Fontaine", "Chevalier",
    "Rousseau", "Blanchard", "Gauthier", "Perrin", "Marchand", "Dupuis", "Lambert", "Roche",
    "Vasseur", "Caron", "Barbier", "Renaud", "Picard", "Arnaud", "Colin", "Lemaire",
]
INSTITUTES = [
    "l'Institut français des relations internationales",
    "la Fondation pour la recherche stratégique",
    "l'Institut de recherche stratégique de l'École militaire",
    "l'université de Varsovie", "le Centre d'études de sécurité de Vilnius",
    "l'Institut international d'études stratégiques", "le Carnegie Endowment",
    "l'Institut de Stockholm de recherche sur la paix", "Sciences Po",
    "l'Observatoire de la dissuasion", "le Conseil européen pour les relations internationales",
]
EXPERT_ROLES = [
    "chercheuse associée à", "spécialiste de la dissuasion à", "ancien diplomate, aujourd'hui à",
    "directeur de recherche à", "analyste militaire à", "professeur de relations internationales à",
    "ancienne conseillère au ministère des Armées, désormais à", "historien du nucléaire à",
]

SPEAKERS = [
    "Vladimir Poutine", "le président russe", "Alexandre Loukachenko", "le dirigeant biélorusse",
    "le Kremlin", "le porte-parole du Kremlin, Dmitri Peskov", "Sergueï Choïgou",
    "le ministre russe de la Défense", "Dmitri Medvedev", "le vice-président du Conseil de sécurité russe",
    "le ministre biélorusse de la Défense, Viktor Khrenine", "Volodymyr Zelensky",
    "le président ukrainien", "le secrétaire général de l'OTAN", "un porte-parole du Pentagone",
    "la diplomatie française", "le chef de la diplomatie européenne", "Antony Blinken",
    "le directeur de l'Agence internationale de l'énergie atomique", "un haut responsable américain",
    "le ministère ukrainien des Affaires étrangères", "la présidence polonaise",
    "le gouvernement lituanien", "Svetlana Tikhanovskaïa, figure de l'opposition biélorusse",
]
SAY = [
    "a affirmé", "a déclaré", "a assuré", "a estimé", "a martelé", "a rappelé", "a averti",
    "a confirmé", "a laissé entendre", "a souligné", "a prévenu", "a reconnu", "a insisté sur le fait",
    "a jugé", "a fait savoir", "a indiqué", "a répété", "a soutenu",
]
SAY_INV = [
    "a déclaré", "a affirmé", "a lancé", "a insisté", "a ajouté", "a résumé", "a tranché",
    "a poursuivi", "a expliqué", "a mis en garde", "a ironisé", "a conclu",
]
WHEN = [
    "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche", "ce week-end",
    "jeudi soir", "mardi matin", "dans la nuit de samedi à dimanche", "en début de semaine",
    "vendredi après-midi", "mercredi en fin de journée", "dimanche à la télévision publique",
]
VENUES = [
    "lors d'une conférence de presse à Minsk", "dans un entretien à la télévision d'État",
    "devant le Conseil de sécurité des Nations unies", "à l'issue d'un entretien avec son homologue",
    "lors d'une réunion au Kremlin", "dans un message publié sur Telegram", "en marge d'un sommet à Saint-Pétersbourg",
    "devant les députés de la Douma", "au cours d'une visite à Vilnius", "depuis Bruxelles",
    "lors d'un forum économique à Sotchi", "dans une interview accordée à une agence russe",
    "devant des officiers réunis à Moscou", "au terme d'une réunion des ministres de l'OTAN",
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
    "Assipovitchy", "Baranovitchi", "Lida", "Machoulichtchy", "Hrodna", "Brest", "Homiel",
    "Babrouïsk", "Vitebsk", "Moguilev", "Pinsk", "Maladetchna", "Sloutsk", "Zhodzina",
]
MONTHS = [
    "janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
    "octobre", "novembre", "décembre",
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
    "Par ailleurs, ", "De son côté, ", "Dans le même temps, ", "Toutefois, ", "En outre, ",
    "Au même moment, ", "Plus tôt dans la journée, ", "Quelques heures plus tard, ",
    "Pour autant, ", "À Kiev, ", "À Bruxelles, ", "À Varsovie, ", "À Washington, ", "",
    "", "", "",
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
    "Un message adressé à l'OTAN", "Des sites de stockage prêts", "Inquiétude à Varsovie",
    "La question du contrôle", "Une dissuasion élargie", "Minsk, base avancée de Moscou",
    "Ce que dit la doctrine russe", "Des réactions mesurées", "Le précédent de 1994",
    "Les Iskander en première ligne", "Un risque d'escalade", "Le calcul de Loukachenko",
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
    "l'OTAN", "Varsovie", "les pays baltes", "Kiev", "Washington", "les Européens", "Vilnius",
    "Paris", "Berlin", "l'Agence internationale de l'énergie atomique",
]
WHO_SHORT = ["Moscou", "Minsk", "Le Kremlin", "Loukachenko", "Poutine", "Choïgou", "Medvedev"]

TEASER_WORDS = [
    "réforme", "budget", "élections", "grève", "inflation", "sécheresse", "incendies", "procès",
    "sommet", "enquête", "tournoi", "festival", "record", "vaccin", "satellite", "migrants",
    "retraites", "loyers", "transports", "universités", "hôpital", "énergie", "chômage", "impôts",
]
LOREM = (
    "Le gouvernement a présenté mercredi un projet de loi visant à simplifier les démarches des "
    "entreprises, tandis que les syndicats appellent à une nouvelle journée de mobilisation."
)


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
        return f"{_cap(rng.choice(WHEN))}, {rng.choice(VENUES)}, {rng.choice(SPEAKERS)} {rng.choice(SAY)} {rng.choice(CLAIMS)}."
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


def article_paragraphs(rng: random.Random, town: str) -> list[str]:
    paragraphs = [_lead(rng, town)]
    for _ in range(rng.randint(4, 11)):
        paragraphs.append(" ".join(_sentence(rng) for _ in range(rng.randint(2, 5))))
    return paragraphs


# -- page furniture ------------------------------------------------------------------------


def _slug(text: str) -> str:
    keep = "".join(c if c.isalnum() else "-" for c in text.lower())
    return "-".join(p for p in keep.split("-") if p)[:80]


def _nav(rng: random.Random, domain: str) -> str:
    parts = ['<nav class="mega-menu" aria-label="Menu principal"><ul class="menu-level-1">']
    for section in SECTIONS:
        s = _slug(section)
        parts.append(f'<li class="menu-item has-children"><a href="https://www.{domain}/{s}/">{html.escape(section)}</a>'
                     '<div class="submenu"><ul class="menu-level-2">')  # fmt: skip
        for sub in rng.sample(SUBSECTIONS, rng.randint(18, 30)):
            parts.append(f'<li class="menu-item"><a class="menu-link" href="https://www.{domain}/{s}/{_slug(sub)}/" '
                         f'data-track="nav-{s}-{_slug(sub)}">{html.escape(sub)}</a></li>')  # fmt: skip
        parts.append("</ul></div></li>")
    parts.append("</ul></nav>")
    return "".join(parts)


def _teaser(rng: random.Random, domain: str, n: int) -> tuple[str, str]:
    words = rng.sample(TEASER_WORDS, 3)
    title = f"{_cap(words[0])} : ce qu'il faut retenir sur {words[1]} et {words[2]}"
    url = f"https://www.{domain}/actualites/{_slug(title)}-{n}.html"
    return title, url


def _related(rng: random.Random, domain: str) -> str:
    items = []
    for _ in range(rng.randint(12, 20)):
        title, url = _teaser(rng, domain, rng.randint(10_000, 99_999))
        items.append(f'<li class="related-item"><a href="{url}"><img src="{url}.jpg" alt="" loading="lazy">'
                     f'<span class="related-title">{html.escape(title)}</span></a>'
                     f'<p class="related-teaser">{LOREM}</p></li>')  # fmt: skip
    return ('<aside class="related"><h2 class="related-heading">Sur le même sujet</h2><ul>'
            + "".join(items) + "</ul></aside>")  # fmt: skip


def _footer(rng: random.Random, site: str, domain: str) -> str:
    links = []
    for section in SECTIONS:
        for sub in rng.sample(SUBSECTIONS, 8):
            links.append(f'<li><a href="https://www.{domain}/{_slug(section)}/{_slug(sub)}/archives/">'
                         f"{html.escape(section)} – {html.escape(sub)}</a></li>")  # fmt: skip
    legal = ["Mentions légales", "Conditions générales", "Politique de confidentialité",
             "Gestion des cookies", "Nous contacter", "Publicité", "Plan du site", "Recrutement"]  # fmt: skip
    legal_html = "".join(f'<li><a href="https://www.{domain}/{_slug(x)}/">{x}</a></li>' for x in legal)
    return (f'<footer class="site-footer"><div class="footer-links"><ul>{"".join(links)}</ul></div>'
            f'<ul class="legal">{legal_html}</ul>'
            f"<p class=\"copyright\">© {html.escape(site)} 2023. Tous droits réservés.</p></footer>")  # fmt: skip


COOKIE_BANNER = (
    '<div id="cookie-banner" class="cmp" role="dialog" aria-label="Cookies">'
    "<p>Ce site utilise des cookies et des technologies similaires pour mesurer l'audience, "
    "personnaliser les contenus et vous proposer des publicités adaptées.</p>"
    "<p>En poursuivant votre navigation, vous acceptez l'utilisation de cookies.</p>"
    '<button class="cmp-accept">Tout accepter</button><button class="cmp-reject">Tout refuser</button>'
    '<a href="/cookies/">Paramétrer les cookies</a></div>'
)
SHARE_BAR = (
    '<div class="share-bar"><span>Partager</span> <a href="#" class="share-fb">Facebook</a> '
    '<a href="#" class="share-tw">Twitter</a> <a href="#" class="share-li">LinkedIn</a> '
    '<a href="#" class="share-wa">WhatsApp</a> <a href="#" class="share-mail">E-mail</a> '
    '<button class="copy-link">Copier le lien</button></div>'
)
STYLE = "<style>" + "".join(
    f".c{i}{{margin:{i % 7}px;padding:{i % 5}px;color:#{(i * 7919) % 0xFFFFFF:06x};}}" for i in range(160)
) + "</style>"


def _state_blob(rng: random.Random, domain: str, size: int) -> str:
    """The app state a JS framework serialises into the page: big, and all noise."""
    items, length, n = [], 0, 0
    while length < size:
        title, url = _teaser(rng, domain, n)
        item = {
            "id": f"art-{rng.getrandbits(48):012x}",
            "title": title,
            "url": url,
            "teaser": LOREM,
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


def page(index: int, seed: int = DEFAULT_SEED) -> tuple[str, str]:
    """(file name, HTML) of page `index` of the corpus made with `seed`."""
    rng = random.Random(f"veille-bench:{seed}:{index}")
    site, domain = SITES[rng.randrange(len(SITES))]
    town = rng.choice(TOWNS)
    title = rng.choice(TITLE_PATTERNS).format(
        who=rng.choice(WHO_SHORT), whom=rng.choice(WHOM), town=town
    )
    published = datetime(2023, 3, 1, tzinfo=UTC) + timedelta(minutes=rng.randrange(300 * 24 * 60))
    slug = f"{_slug(title)}-{index:06d}"
    url = f"https://www.{domain}/international/{published:%Y/%m/%d}/{slug}.html"
    author = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
    paragraphs = article_paragraphs(rng, town)

    body_parts = [f"<p>{html.escape(paragraphs[0])}</p>"]
    for i, para in enumerate(paragraphs[1:], 1):
        if i % 3 == 0:
            body_parts.append(f"<h2>{html.escape(rng.choice(HEADINGS))}</h2>")
        body_parts.append(f"<p>{html.escape(para)}</p>")
        if i == 2:
            rel_title, rel_url = _teaser(rng, domain, index)
            body_parts.append(f'<p class="read-also">À lire aussi : <a href="{rel_url}">{html.escape(rel_title)}</a></p>')
    body_parts.insert(1, '<figure><img src="https://cdn.example/photo.jpg" alt="">'
                         "<figcaption>Des lanceurs Iskander lors d'un exercice. (Photo : AFP)</figcaption></figure>")  # fmt: skip

    esc_title, esc_site = html.escape(title), html.escape(site)
    iso = published.isoformat()
    ld = json.dumps({"@context": "https://schema.org", "@type": "NewsArticle", "headline": title,
                     "datePublished": iso, "author": {"@type": "Person", "name": author},
                     "publisher": {"@type": "Organization", "name": site}}, ensure_ascii=False)  # fmt: skip
    head = (
        f'<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>{esc_title} – {esc_site}</title>'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="description" content="{html.escape(paragraphs[0][:150])}">'
        f'<meta property="og:site_name" content="{esc_site}"><meta property="og:title" content="{esc_title}">'
        f'<meta property="og:type" content="article"><meta property="og:url" content="{url}">'
        f'<meta property="article:published_time" content="{iso}">'
        f'<meta name="author" content="{html.escape(author)}"><link rel="canonical" href="{url}">'
        f'<script type="application/ld+json">{ld}</script>{STYLE}'
        f'<script src="https://cdn.{domain}/static/app.{rng.getrandbits(32):08x}.js" defer></script></head>'
    )
    header = (
        f'<body class="article-page">{COOKIE_BANNER}<header class="site-header">'
        f'<a class="logo" href="https://www.{domain}/">{esc_site}</a>'
        f'<form class="search"><input type="search" placeholder="Rechercher"></form>'
        f'<a class="subscribe" href="https://www.{domain}/abonnement/">S\'abonner</a></header>'
        f"{_nav(rng, domain)}"
        f'<ol class="breadcrumb"><li><a href="https://www.{domain}/">Accueil</a></li>'
        f'<li><a href="https://www.{domain}/international/">International</a></li>'
        f'<li><a href="https://www.{domain}/international/europe/">Europe</a></li></ol>'
    )
    article = (
        f'<main><article class="article"><h1 class="article-title">{esc_title}</h1>'
        f'<p class="byline">Par <a href="https://www.{domain}/auteurs/{_slug(author)}/">{html.escape(author)}</a></p>'
        f'<p class="dateline"><time datetime="{iso}">Publié le {published.day} {MONTHS[published.month - 1]} '
        f"{published.year} à {published:%Hh%M}</time></p>{SHARE_BAR}"
        f'<div class="article-body">{"".join(body_parts)}</div>{SHARE_BAR}'
        f'<div class="comments"><h3>Réagissez à cet article</h3><p>Connectez-vous pour commenter.</p></div>'
        f"</article>{_related(rng, domain)}</main>"
    )
    tail_open = _footer(rng, site, domain)
    analytics = (
        '<script>window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push(arguments);}'
        f"gtag('js',new Date());gtag('config','G-{rng.getrandbits(40):010X}');</script>"
    )
    shell = head + header + article + tail_open + analytics
    target = rng.randint(100_000, 150_000)
    room = max(4_000, target - len(shell.encode("utf-8")) - 64)
    state = f"<script>window.__INITIAL_STATE__={_state_blob(rng, domain, room)};</script>"
    return f"{index:06d}-{slug[:60]}.html", shell + state + "</body></html>"


def generate(directory: Path, pages: int, seed: int = DEFAULT_SEED) -> Corpus:
    """Write pages 0..pages-1 into `directory` (created if missing)."""
    directory.mkdir(parents=True, exist_ok=True)
    paths, total = [], 0
    for i in range(pages):
        name, text = page(i, seed)
        data = text.encode("utf-8")
        path = directory / name
        path.write_bytes(data)
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
