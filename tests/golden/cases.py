"""The golden cases, what the pipeline makes of each, and how an expectation
is written and compared.

A case is one real French input read in place: a seed of the repository
(`seeds/*.txt`) or a French page of the shared extraction corpus
(`../shared/corpus/extraction`, beside the repository, never copied into it).
Its expectation, `tests/golden/<name>.json`, holds what `veille extract` would
show of it: title, publication date with precision and provenance, source,
the page's own URL, the body line by line and every removed line with the
rule that removed it. The input is read as the CLI reads it
(`files.discover` then `files.read_input`) and extracted by the pure
`pipeline.extract` with the packaged default `Settings()`.

Lines of the corpus pages are third-party text (the corpus README: "keep this
folder internal; do not republish the pages"), so their expectations keep a
line of over 60 characters as its first 60, its length and its SHA-256
(`"line_format": "digest"`): a change to any character of a line still fails
the test, the diff still says which line changed and where, and the
repository does not republish the articles. Seed lines, already in the
repository, are kept verbatim (`"line_format": "verbatim"`). To see a corpus
page's full output: `.venv/bin/veille extract ../shared/corpus/extraction/...`.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.paths import EXTRACTION_CORPUS as CORPUS
from tests.support.paths import REPO, SEEDS, SHARED  # noqa: F401

GOLDEN = Path(__file__).resolve().parent

PREFIX_CHARS = 60  # of a third-party line, kept in clear
HASH_HEX = 16  # hex digits of the SHA-256 kept: 64 bits, plenty to notice a change

# The French HTML pages of the corpus (its README.txt, sections 2 and 3):
# every page of trafilatura-fr/ and the source pages of readability-fr/.
CORPUS_PAGES: tuple[str, ...] = (
    *(
        f"trafilatura-fr/html/{stem}.html"
        for stem in (
            "aoc.media.archaisme",
            "archive.org-travaillent",
            "arteradio.com-nuls",
            "blog.mondediplo.net.turpitude",
            "bondyblog.fr.paris-8",
            "dalloz-actualite.fr.raoult",
            "dw.com-elephants",
            "francais.radio.cz-ministre",
            "france.attc.org-privatisations",
            "franceculture.fr.idees",
            "gala.fr.surnom",
            "infocomcgt.fr.caisse",
            "lanouvellerepublique.fr.martin",
            "lapresse.tn.parite",
            "laviedesidees.fr.evaluation",
            "ledevoir.com.trottinettes",
            "legrandcontinent.eu.heran",
            "lenouvelliste.com-compagnies",
            "lopinion.fr.glyphosate",
            "madame.lefigaro.fr.dintestin",
            "mesopinions.com.mutilation",
            "psl.eu.luniversite",
            "regards.fr.enquetes",
            "sauvonsluniversite.com.spip",
            "sciencesetavenir.fr.rumeur",
            "soundofscience.fr.1927",
            "sports.fr.lorient",
            "tdg.ch.chlorothalonil",
        )
    ),
    "readability-fr/lemonde-1/source.html",
    "readability-fr/liberation-1/source.html",
    "readability-fr/videos-2/source.html",
)


@dataclass(frozen=True, slots=True)
class Case:
    name: str
    path: Path  # absolute
    input: str  # the path as the expectation records it: relative to the repository
    third_party: bool  # lines stored as digests

    @property
    def expectation(self) -> Path:
        return GOLDEN / f"{self.name}.json"

    @property
    def available(self) -> bool:
        return self.path.is_file()


def _corpus_case(rel: str) -> Case:
    parts = Path(rel).parts
    if parts[0] == "readability-fr":
        name = f"readability-{parts[1]}"
    else:
        name = f"trafilatura-{Path(rel).stem}"
    return Case(name, CORPUS / rel, f"../shared/corpus/extraction/{rel}", third_party=True)


def cases() -> dict[str, Case]:
    """Every case by name: the seeds (whatever `seeds/` holds), then the corpus pages."""
    found = [
        Case(f"seed-{p.stem}", p, p.relative_to(REPO).as_posix(), third_party=False)
        for p in sorted(SEEDS.glob("*.txt"))
    ]
    found += [_corpus_case(rel) for rel in CORPUS_PAGES]
    return {case.name: case for case in found}


def stored_names() -> list[str]:
    return sorted(p.stem for p in GOLDEN.glob("*.json"))


def all_names() -> list[str]:
    """Cases and stored expectations: an expectation without a case is reported too."""
    return sorted(set(cases()) | set(stored_names()))


def _line(text: str, third_party: bool) -> str:
    if not third_party or len(text) <= PREFIX_CHARS:
        return text
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:HASH_HEX]
    return f"{text[:PREFIX_CHARS]}… [{len(text)} chars, sha256 {digest}]"


def compute(case: Case) -> dict[str, Any]:
    """The current expectation of a case: its input read and extracted as by
    `veille extract`, with the default settings."""
    from extractors.core.records import Rejected
    from extractors.core.settings import Settings
    from extractors.judge import pipeline
    from extractors.sources import files

    settings = Settings()
    items = [
        item
        for ref in files.discover([case.path], min_age_seconds=0)
        for item in files.read_input(ref, settings)
    ]
    if len(items) != 1:
        raise ValueError(f"{case.input}: {len(items)} documents, a golden case needs exactly one")
    out: dict[str, Any] = {
        "input": case.input,
        "line_format": "digest" if case.third_party else "verbatim",
    }
    (item,) = items
    if isinstance(item, Rejected):
        out["rejected"] = {"reason": str(item.reason), "detail": item.detail}
        return out
    ex = pipeline.extract(item, settings)
    date = ex.published
    out.update(
        title=ex.title,
        published=(
            {"value": date.value.isoformat(), "precision": date.precision.value, "source": date.source}
            if date
            else None
        ),
        source=ex.source,
        source_domain=ex.source_domain,
        url=None if ex.url == item.location else ex.url,  # a file's own URI is no page URL
        truncated=ex.truncated,
        authors=list(ex.authors),
        body=[_line(line, case.third_party) for line in ex.body.split("\n")],
        removed=[{"rule": rule, "line": _line(line, case.third_party)} for rule, line in ex.removed],
    )
    return out


def render(expectation: dict[str, Any]) -> str:
    """JSON with one body line or removed line per text line, so that a
    unified diff of two renderings shows exactly the lines that changed."""

    def dump(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False)

    fields = []
    for key, value in expectation.items():
        if isinstance(value, list) and value:
            items = ",\n".join(f"    {dump(item)}" for item in value)
            fields.append(f"  {dump(key)}: [\n{items}\n  ]")
        else:
            fields.append(f"  {dump(key)}: {dump(value)}")
    return "{\n" + ",\n".join(fields) + "\n}\n"


def load(case_name: str) -> str | None:
    """The stored expectation, rendered again (so that only content, not
    layout, is compared); None when there is none."""
    path = GOLDEN / f"{case_name}.json"
    if not path.is_file():
        return None
    text = path.read_text(encoding="utf-8")
    try:
        return render(json.loads(text))
    except ValueError:  # not JSON (a bad hand edit, a merge conflict): compared as it is
        return text


def write(case: Case, rendered: str) -> None:
    case.expectation.write_text(rendered, encoding="utf-8")


def diff(case_name: str, expected: str, actual: str) -> str:
    return "".join(
        difflib.unified_diff(
            expected.splitlines(keepends=True),
            actual.splitlines(keepends=True),
            fromfile=f"tests/golden/{case_name}.json (expected)",
            tofile=f"{case_name} (current output)",
        )
    )
