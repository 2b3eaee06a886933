"""French news pages for web tests, written for these tests (no third-party
pages): article texts on the default topic and off it, and two site templates
with the boilerplate real news sites wrap around an article."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

ARTICLES: dict[str, dict[str, object]] = {
    "entrepots": {
        "title": "Minsk achève les entrepôts destinés aux armes nucléaires tactiques russes",
        "published": "2023-06-14T08:30:00+02:00",
        "paragraphs": [
            "Les travaux de construction des entrepôts destinés aux armes nucléaires tactiques "
            "russes en Biélorussie sont achevés, a assuré mercredi le ministre biélorusse de la "
            "Défense, selon l'agence officielle Belta.",
            "Le président Alexandre Loukachenko affirme que les premières ogives sont arrivées sur "
            "le territoire biélorusse et que leur emploi relèverait d'une décision conjointe avec "
            "Moscou, ce que le Kremlin n'a pas confirmé.",
            "Vladimir Poutine avait annoncé en mars ce déploiement, présenté comme une réponse à "
            "la livraison par Londres de munitions à l'uranium appauvri à l'Ukraine.",
            "Les pays de l'OTAN dénoncent une escalade dangereuse de la rhétorique nucléaire, "
            "tout en estimant que rien n'indique que la Russie se prépare à utiliser de telles armes.",
            "Kiev redoute que la Biélorussie soit entraînée plus avant dans la guerre, alors que "
            "des exercices conjoints des forces russes et biélorusses se multiplient près de la frontière.",
        ],
    },
    "doctrine": {
        "title": "La Russie assouplit sa doctrine de dissuasion nucléaire",
        "published": "2024-11-19T14:05:00+01:00",
        "paragraphs": [
            "Vladimir Poutine a signé mardi un décret élargissant les conditions dans lesquelles "
            "la Russie pourrait recourir à l'arme nucléaire, au millième jour de la guerre en Ukraine.",
            "La nouvelle doctrine prévoit qu'une attaque contre la Russie ou la Biélorussie menée "
            "par un pays non nucléaire avec le soutien d'une puissance nucléaire serait considérée "
            "comme une attaque conjointe.",
            "Le Kremlin présente ce texte comme une réponse à l'autorisation donnée à Kiev de "
            "frapper le territoire russe avec des missiles occidentaux à longue portée.",
            "À Bruxelles, les responsables de l'OTAN parlent d'un nouveau chantage nucléaire et "
            "appellent Moscou à ne pas alimenter l'escalade.",
            "Les armes nucléaires tactiques russes stationnées en Biélorussie restent sous le "
            "contrôle de Moscou, rappellent plusieurs analystes interrogés par l'AFP.",
        ],
    },
    "exercices": {
        "title": "Exercices nucléaires conjoints entre la Russie et la Biélorussie",
        "published": "2024-06-11T10:00:00+02:00",
        "paragraphs": [
            "La Russie et la Biélorussie ont lancé mardi la deuxième phase d'exercices portant "
            "sur l'emploi d'armes nucléaires tactiques, a annoncé le ministère russe de la Défense.",
            "Des unités équipées de missiles Iskander et des avions capables de porter des ogives "
            "nucléaires participent aux manœuvres, selon Moscou.",
            "Le Kremlin justifie ces exercices par les déclarations de dirigeants occidentaux sur "
            "un possible envoi de troupes en Ukraine.",
            "Alexandre Loukachenko a déclaré que son armée devait être prête à utiliser ces armes "
            "si la souveraineté de la Biélorussie était menacée.",
            "Les experts y voient un signal adressé à l'OTAN plus qu'une escalade militaire réelle.",
        ],
    },
}

ENGLISH = {
    "title": "Russia moves tactical nuclear weapons to Belarus",
    "published": "2023-06-16T09:00:00+00:00",
    "paragraphs": [
        "President Vladimir Putin said on Friday that Russia had moved the first tactical nuclear "
        "weapons to Belarus, a step that NATO called reckless and dangerous.",
        "Belarusian leader Alexander Lukashenko said the warheads were three times more powerful "
        "than the bombs dropped on Hiroshima and Nagasaki in 1945.",
        "Washington said it saw no reason to adjust its own nuclear posture and no sign that "
        "Moscow was preparing to use a nuclear weapon in the war in Ukraine.",
    ],
}

OFF_TOPIC = {
    "title": "Le festival de la tomate anime le village tout le week-end",
    "published": "2023-08-20T18:00:00+02:00",
    "paragraphs": [
        "Plus de trois mille visiteurs sont attendus samedi et dimanche pour la vingtième "
        "édition du festival de la tomate, sur la place de la mairie.",
        "Au programme : dégustations, concours de la plus grosse tomate, marché de producteurs "
        "locaux et concert de l'harmonie municipale en soirée.",
        "Le comité des fêtes rappelle que le parking de la salle polyvalente sera gratuit et "
        "qu'une navette desservira la gare toutes les demi-heures.",
    ],
}

LATIN1_TITLE = "Une naïve illusion : la dissuasion nucléaire russe vue de Minsk"


def _p(paragraphs: list[str]) -> str:
    return "\n".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)


def journal_page(article: dict, site: str = "Le Quotidien de l'Est", charset: str = "utf-8") -> str:
    """Template 1: a national daily. <article> body with an inline "Lire aussi",
    a share bar, a newsletter box, related articles, cookie banner, footer."""
    paras = list(article["paragraphs"])
    body = (
        _p(paras[:2])
        + (
            '\n<p class="related-inline"><strong>Lire aussi :</strong> '
            '<a href="/sport/ligue1.html">Ligue 1 : le PSG s\'impose à Lens</a></p>\n'
        )
        + _p(paras[2:])
    )
    nav = "\n".join(f'<li><a href="/rubrique/{i}.html">Rubrique {i}</a></li>' for i in range(40))
    return f"""<!DOCTYPE html>
<html lang="fr"><head><meta charset="{charset}">
<title>{html.escape(article["title"])} - {html.escape(site)}</title>
<meta property="og:site_name" content="{html.escape(site)}">
<meta property="og:title" content="{html.escape(article["title"])}">
<meta property="article:published_time" content="{article["published"]}">
</head><body>
<div id="cookie-banner">Nous utilisons des cookies pour améliorer votre expérience. Accepter Refuser</div>
<header><nav><ul>{nav}</ul></nav></header>
<main><article>
<h1>{html.escape(article["title"])}</h1>
<div class="share"><a href="#">Facebook</a> <a href="#">Twitter</a> <a href="#">Partager</a></div>
{body}
<div class="newsletter">Inscrivez-vous à notre newsletter : l'essentiel de l'actualité chaque matin.</div>
</article>
<aside><h2>Sur le même sujet</h2><ul>
<li><a href="/a.html">Météo : un week-end ensoleillé</a></li>
<li><a href="/b.html">Recette : la tarte aux pommes</a></li></ul></aside>
</main>
<footer><p>© 2024 {html.escape(site)}. Tous droits réservés.</p>
<a href="/mentions">Mentions légales</a></footer>
</body></html>"""


def blog_page(article: dict, publisher: str = "Géopolitique Hebdo") -> str:
    """Template 2: a magazine on a blog engine. JSON-LD publisher and date,
    a caption with its credit, a comment section."""
    ld = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": article["title"],
        "datePublished": article["published"],
        "publisher": {"@type": "Organization", "name": publisher},
    }
    paras = list(article["paragraphs"])
    return f"""<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8">
<title>{html.escape(article["title"])}</title>
<script type="application/ld+json">{json.dumps(ld, ensure_ascii=False)}</script>
</head><body>
<div class="site-header"><a href="/">Accueil</a> | <a href="/monde">Monde</a></div>
<div class="entry">
<h1 class="entry-title">{html.escape(article["title"])}</h1>
<div class="entry-content">
{_p(paras[:1])}
<figure><img src="/img.jpg">
<figcaption>Un lanceur Iskander lors d'un défilé à Moscou (AFP/Kirill Kudryavtsev)</figcaption>
</figure>
{_p(paras[1:])}
<p>Publicité</p>
</div>
<div id="comments"><h3>Leave a Comment</h3>
<p>This site uses Akismet to reduce spam. Learn how your comment data is processed.</p></div>
</div></body></html>"""


def rss(items: list[tuple[str, str, str]], title: str = "Le Quotidien de l'Est - International") -> bytes:
    """RSS 2.0 with (link, title, RFC 822 date) items."""
    entries = "\n".join(
        f"<item><title>{html.escape(t)}</title><link>{html.escape(link)}</link>"
        f"<guid>{html.escape(link)}</guid><pubDate>{date}</pubDate></item>"
        for link, t, date in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
        f"<title>{html.escape(title)}</title><link>http://example.invalid/</link>"
        f"<description>International</description>\n{entries}\n</channel></rss>"
    ).encode()


# Response headers and a feed date, as the test sites serve them.
HTML = {"Content-Type": "text/html; charset=utf-8"}
RSS = {"Content-Type": "application/rss+xml"}
DATE = "Wed, 14 Jun 2023 06:30:00 GMT"


def run_web_ingest(db: Path, changes: dict[str, Any] | None = None, **inputs: Any) -> dict[str, Any]:
    """The real flow with one worker, fetching from the loopback test server
    only (no delay between requests); `changes` are settings keys as written
    in the file ("fetch.retries")."""
    from extractors.core.settings import Settings
    from flows.ingest import run_ingest

    settings = Settings().replace({
        "storage.db": db,
        "ingest.workers": 1,
        "fetch.allowed_networks": ("127.0.0.1/32",),
        "fetch.per_host_delay": 0.0,
        **(changes or {}),
    })  # fmt: skip
    return run_ingest(settings, **inputs)
