"""Many distinct French articles on the default topic, generated from
templates with a seeded random generator: inputs for long runs (crash, kill
and concurrency tests). Distinct enough that near-duplicate detection keeps
them all."""

from __future__ import annotations

import random
from pathlib import Path

from tests.support.files import backdate

_WHO = ["Vladimir Poutine", "Alexandre Loukachenko", "le Kremlin", "Sergueï Choïgou",
        "Dmitri Medvedev", "le ministre biélorusse de la Défense", "un porte-parole de l'OTAN",
        "le président ukrainien", "un diplomate européen", "un analyste de l'ISW"]  # fmt: skip
_VERB = ["a déclaré", "a affirmé", "a assuré", "a averti", "a rappelé", "a estimé",
         "a reconnu", "a démenti", "a laissé entendre", "a confirmé"]  # fmt: skip
_WHAT = ["le déploiement d'armes nucléaires tactiques en Biélorussie",
         "l'arrivée des premières ogives à Minsk",
         "la construction d'entrepôts pour les armes nucléaires", "la formation d'équipages biélorusses",
         "une escalade de la rhétorique nucléaire", "la livraison de missiles Iskander",
         "les exercices nucléaires conjoints", "la doctrine de dissuasion russe",
         "le risque d'une guerre nucléaire en Europe", "le transfert d'armes atomiques"]  # fmt: skip
_WHEN = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche", "ce matin",
         "dans la soirée", "lors d'une conférence de presse"]  # fmt: skip
_PLACE = ["à Minsk", "à Moscou", "à Kiev", "à Bruxelles", "à Washington", "à Sotchi", "à Varsovie",
          "à Vilnius", "près de la frontière ukrainienne", "devant le Conseil de sécurité"]  # fmt: skip
_TAIL = ["selon l'agence Belta", "d'après une source diplomatique", "selon des images satellites",
         "sans donner de calendrier précis", "ce que Washington conteste", "malgré les sanctions",
         "alors que la guerre en Ukraine se poursuit", "dans un contexte de tensions avec l'OTAN",
         "selon un communiqué officiel", "au grand dam des pays baltes"]  # fmt: skip


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def article(rng: random.Random, n: int) -> str:
    title = f"{_cap(rng.choice(_WHO))} et {rng.choice(_WHAT)} (dossier {n})"
    sentences = []
    for _ in range(rng.randint(8, 12)):
        number = rng.randint(2, 900)
        sentences.append(
            f"{_cap(rng.choice(_WHO))} {rng.choice(_VERB)} {rng.choice(_WHEN)} "
            f"{rng.choice(_PLACE)} que {rng.choice(_WHAT)} concernait {number} unités, "
            f"{rng.choice(_TAIL)}."
        )
    return title + "\n\n" + "\n".join(sentences) + "\n"


def write_corpus(folder: Path, count: int, seed: int = 7) -> list[Path]:
    """`count` articles in `folder`, backdated: ready to be ingested at once."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    paths = []
    for n in range(count):
        path = folder / f"article_{n:05d}.txt"
        path.write_text(article(rng, n), encoding="utf-8")
        paths.append(path)
    backdate(*paths)
    return paths
