"""Strip the boilerplate news sites wrap around an article.

The same rules serve plain text files and trafilatura's text of web pages, so
nothing depends on blank lines: every non-blank line is a paragraph. The
phrase lists and patterns are data (`data/boilerplate.toml`); this module
applies them in passes:

1. a leading ``date 2023-06`` before the first sentence becomes `date_text`;
2. each line is checked alone against the line rules (`_LINE_RULES`), and the
   metadata lines ("Publié le …", "Source : …", "Par Prénom Nom") become fields;
3. the site name and title at the top are taken out (`_header`), also when
   the line carries the page's site name or rubric after a separator
   ("Le titre | Rubrique | Le Site");
4. rules that need a neighbour: the title linked under a bare "Lire aussi",
   the caption line just above a credit line, everything after a
   comment-section header in the second half of the text, and the
   subscription offer under a teaser cut off by an ellipsis;
5. credits at the end of a kept line (`_trailing_credits`);
6. the wire credits among all these (`_wires`): which news agencies the
   article credits, and the text that proves each.

Every dropped line is reported in `Cleaned.removed` under its rule's name, so
an unwanted removal can be traced back to the rule that made it. A paywall
line ("Il vous reste 57% de cet article à lire") or a subscription offer cut
under a teaser also sets `Cleaned.truncated`: the text is only part of the
article. A login prompt alone ("Déjà abonné ?", rule "account") does not: a
whole article's page shows one too.

A line can be as long as its file, so every pattern is written to take time
linear in the line (the rule file's header says how); a single line of
"Publié" and 800 spaces once took 43 s.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from extractors.core.errors import TerminalError
from extractors.core.textnorm import words

RULES_PATH = Path(__file__).parent.parent / "data" / "boilerplate.toml"
_LETTER = re.compile(r"[^\W\d_]")


class RulesError(TerminalError, ValueError):
    """The boilerplate rule file is invalid; the message names the file."""


@dataclass(frozen=True, slots=True)
class Cleaned:
    body: str  # one paragraph per line, stripped, no blank lines
    title: str | None
    source: str | None  # publisher named in the text
    date_text: str | None  # raw, unparsed date found in the text
    removed: tuple[tuple[str, str], ...]  # (rule name, removed line or fragment)
    truncated: bool = False  # the text showed a paywall: only part of the article is here
    authors: tuple[str, ...] = ()  # people named by byline lines ("Par Prénom Nom")
    wires: tuple[tuple[str, str], ...] = ()  # (agency, the credit that names it): ("AFP", "PARIS (AFP) -")


@dataclass(frozen=True, slots=True)
class Rules:
    title_max_chars: int
    date_line_max_chars: int
    site_name_max_words: int
    caption_max_chars: int
    noise_max_chars: int
    title_separator: re.Pattern[str]
    sentence_end: re.Pattern[str]
    open_end: re.Pattern[str]
    read_also: re.Pattern[str]
    bare_rest: re.Pattern[str]
    share: re.Pattern[str]
    comment_header: re.Pattern[str]
    comment: re.Pattern[str]
    advertising: re.Pattern[str]
    parenthesised: re.Pattern[str]
    paren_max_words: int
    credit_keyword: re.Pattern[str]
    agencies: re.Pattern[str]
    credit_separators: re.Pattern[str]
    credit_line: re.Pattern[str]
    credit_line_max_words: int
    caption_credit_max_words: int
    trailing_credit: re.Pattern[str]
    copyright: re.Pattern[str]
    copyright_max_words: int
    cookie: re.Pattern[str]
    promo: re.Pattern[str]
    reported_speech: re.Pattern[str]
    paywall: re.Pattern[str]
    account: re.Pattern[str]
    teaser_end: re.Pattern[str]
    date_prefix: re.Pattern[str]
    date_clause: re.Pattern[str]
    date_line: re.Pattern[str]
    source: re.Pattern[str]
    source_max_words: int
    byline: re.Pattern[str]
    byline_separators: re.Pattern[str]
    not_people: re.Pattern[str]
    wire_agencies: tuple[tuple[str, re.Pattern[str]], ...]  # canonical name, whole-name pattern
    dateline: re.Pattern[str]
    dateline_lines: int
    with_line: re.Pattern[str]
    credit_wrap: re.Pattern[str]
    wire_line_max_chars: int
    link_line: re.Pattern[str]
    link_headings: re.Pattern[str]
    link_heading_max_chars: int
    link_min_lines: int


def _alt(patterns: list[str]) -> str:
    return "|".join(f"(?:{p})" for p in patterns)


def _re(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


def _build(data: dict[str, Any]) -> Rules:
    limits, share, credits, dates = data["limits"], data["share"], data["credits"], data["dates"]
    wires, links = data["wires"], data["link_list"]
    wire_patterns = {name: _alt(patterns) for name, patterns in wires["agencies"].items()}
    agencies = credits["agencies"] + list(wire_patterns.values())
    networks = _alt(share["networks"])
    bar_word = rf"(?:{_alt(share['words'] + share['networks'])})\b"
    gap = share["separators"]
    share_bar = rf"^{share['lead']}{bar_word}(?:{gap}{bar_word})*[\s:]*$"
    clause = (
        rf"(?:(?P<pub>{_alt(dates['published'])})|(?P<upd>{_alt(dates['updated'])}))"
        rf"\s*+{dates['joiner']}(?P<date>{_alt(dates['values'])})(?:\s*+(?:{_alt(dates['times'])}))?"
    )
    promo = data["promo"]
    verbs, objects, gap_chars = _alt(promo["verbs"]), _alt(promo["objects"]), int(promo["max_gap"])
    promo_pair = rf"\b(?:{verbs})\b.{{0,{gap_chars}}}?(?:{objects})"
    paywall, byline = data["paywall"], data["byline"]
    phrases = _alt(
        [
            p.replace("{subscribers}", paywall["subscribers"]).replace("{reading}", paywall["reading"])
            for p in paywall["lines"]
        ]
    )
    name, more = f"(?:{byline['name']})", int(byline["max_names"]) - 1
    names = rf"{name}(?:(?:{byline['separators']}){name}){{0,{more}}}"
    not_people = _alt(agencies + byline["publishers"])
    after = rf"{paywall['joiner']}(?:(?:{phrases}|{_alt(paywall['then'])})\b.*)?$"
    return Rules(
        title_max_chars=int(limits["title_max_chars"]),
        date_line_max_chars=int(limits["date_line_max_chars"]),
        site_name_max_words=int(limits["site_name_max_words"]),
        caption_max_chars=int(limits["caption_max_chars"]),
        noise_max_chars=int(limits["noise_max_chars"]),
        title_separator=_re(data["title"]["separators"]),
        sentence_end=_re(data["sentence"]["end"]),
        open_end=_re(data["sentence"]["open"]),
        read_also=_re(rf"{data['read_also']['lead']}(?:{_alt(data['read_also']['markers'])})"),
        bare_rest=_re(data["read_also"]["bare_rest"]),
        share=_re(_alt([share_bar, *(p.replace("{networks}", networks) for p in share["patterns"])])),
        comment_header=_re(_alt(data["comments"]["headers"])),
        comment=_re(_alt(data["comments"]["headers"] + data["comments"]["patterns"])),
        advertising=_re(_alt(data["advertising"]["patterns"])),
        parenthesised=_re(credits["parenthesised"]),
        paren_max_words=int(credits["paren_max_words"]),
        credit_keyword=_re(_alt(credits["keywords"])),
        agencies=_re(rf"{credits['agency_lead']}(?:{_alt(agencies)})"),
        credit_separators=_re(credits["separators"]),
        credit_line=_re(_alt(credits["lines"])),
        credit_line_max_words=int(credits["line_max_words"]),
        caption_credit_max_words=int(credits["caption_credit_max_words"]),
        trailing_credit=_re(credits["trailing"]),
        copyright=_re(_alt(data["copyright"]["patterns"])),
        copyright_max_words=int(data["copyright"]["max_words"]),
        cookie=_re(_alt(data["cookies"]["patterns"])),
        promo=_re(_alt([promo_pair, *promo["patterns"]])),
        reported_speech=_re(promo["reported_speech"]),
        paywall=_re(rf"{paywall['lead']}(?:{phrases}){after}"),
        account=_re(_alt(paywall["account"])),
        teaser_end=_re(paywall["teaser_end"]),
        date_prefix=_re(dates["prefix"]),
        date_clause=_re(clause),
        date_line=_re(rf"^(?:{clause}{dates['between']})+$"),
        source=_re(data["source"]["pattern"]),
        source_max_words=int(data["source"]["max_words"]),
        # case-sensitive: a name's words open with a capital ("Par ailleurs" is no byline)
        byline=re.compile(rf"{byline['lead']}(?P<names>{names}){byline['tail']}"),
        byline_separators=re.compile(byline["separators"]),
        not_people=_re(rf"{credits['agency_lead']}(?:{not_people})(?:\s*+/\s*+\S+)*"),
        wire_agencies=tuple((name, _re(pattern)) for name, pattern in wire_patterns.items()),
        dateline=_re(wires["dateline"]),
        dateline_lines=int(wires["dateline_lines"]),
        with_line=_re(wires["with_line"]),
        credit_wrap=_re(wires["credit_wrap"]),
        wire_line_max_chars=int(wires["line_max_chars"]),
        link_line=_re(links["line"]),
        link_headings=_re(_alt(links["headings"])),
        link_heading_max_chars=int(links["heading_max_chars"]),
        link_min_lines=int(links["min_lines"]),
    )


@lru_cache(maxsize=4)
def load_rules(path: Path = RULES_PATH) -> Rules:
    try:
        return _build(tomllib.loads(path.read_text(encoding="utf-8")))
    except (OSError, tomllib.TOMLDecodeError, KeyError, TypeError, ValueError, re.error) as exc:
        raise RulesError(f"{path}: invalid boilerplate rules ({exc!r})") from exc


def _key(text: str) -> str:
    """Case-, accent-, whitespace- and punctuation-insensitive form, to spot repeats."""
    return " ".join(words(text))


def _is_sentence(line: str, rules: Rules) -> bool:
    return bool(rules.sentence_end.search(line))


def _is_title_like(line: str, max_chars: int, rules: Rules) -> bool:
    """Short, and ends neither a sentence nor an introduction ("Tout en soulignant :")."""
    return len(line) <= max_chars and not _is_sentence(line, rules) and not rules.open_end.search(line)


def _is_read_also(line: str, rules: Rules) -> bool:
    return len(line) <= rules.noise_max_chars and bool(rules.read_also.match(line))


def _is_bare_read_also(line: str, rules: Rules) -> bool:
    marker = rules.read_also.match(line)
    return marker is not None and bool(rules.bare_rest.match(line[marker.end() :]))


def _is_share(line: str, rules: Rules) -> bool:
    return bool(rules.share.search(line))


def _is_comment(line: str, rules: Rules) -> bool:
    return bool(rules.comment.search(line))


def _is_advertising(line: str, rules: Rules) -> bool:
    return bool(rules.advertising.search(line))


def _is_paywall(line: str, rules: Rules) -> bool:
    """A line saying the rest of the article is for subscribers: the text is cut."""
    return len(line) <= rules.noise_max_chars and bool(rules.paywall.match(line))


def _is_account(line: str, rules: Rules) -> bool:
    return bool(rules.account.search(line))


def _is_paren_credit(line: str, rules: Rules) -> bool:
    """A whole line in parentheses with letters: short, or naming a credit."""
    match = rules.parenthesised.fullmatch(line)
    if match is None or not _LETTER.search(match["inner"]):
        return False
    inner = match["inner"]
    return len(inner.split()) <= rules.paren_max_words or bool(rules.credit_keyword.search(inner))


def _is_copyright(line: str, rules: Rules) -> bool:
    return len(line.split()) <= rules.copyright_max_words and bool(rules.copyright.search(line))


def _is_credit_line(line: str, rules: Rules) -> bool:
    return len(line.split()) <= rules.credit_line_max_words and bool(rules.credit_line.search(line))


def _is_cookie(line: str, rules: Rules) -> bool:
    return len(line) <= rules.noise_max_chars and bool(rules.cookie.search(line))


def _is_promo(line: str, rules: Rules) -> bool:
    return (
        len(line) <= rules.noise_max_chars
        and bool(rules.promo.search(line))
        and not rules.reported_speech.search(line)
    )


def _compact(line: str) -> str:
    return " ".join(line.split())


def _is_date_line(line: str, rules: Rules) -> bool:
    """Only a date and its time: "Publié le 12 mars 2023, le rapport…" is article text.

    A date line is short: the date patterns see it with its whitespace runs made
    single spaces, and a line still longer than `date_line_max_chars` is text."""
    compact = _compact(line)
    return len(compact) <= rules.date_line_max_chars and bool(rules.date_line.match(compact))


def _is_byline(line: str, rules: Rules) -> bool:
    return len(line) <= rules.title_max_chars and bool(rules.byline.match(line))


def byline_names(line: str, rules: Rules | None = None) -> list[str]:
    """The people a byline line names: "Par A et B, envoyé spécial" gives [A, B];
    a publisher or an agency ("Par Les Echos", "Par AFP") is no one."""
    rules = rules or load_rules()
    match = rules.byline.match(line) if len(line) <= rules.title_max_chars else None
    if match is None:
        return []
    names = (" ".join(n.split()) for n in rules.byline_separators.split(match["names"]))
    return [n for n in names if n and not is_publisher(n, rules)]


def is_publisher(name: str, rules: Rules | None = None) -> bool:
    """A newspaper, a house signature or a news agency, not a person."""
    return bool((rules or load_rules()).not_people.fullmatch(name.strip()))


_THE = re.compile(r"^l['’]\s*+", re.IGNORECASE)
_WITH = re.compile(r"\s++(?:avec|with)\s++", re.IGNORECASE)


def _wire_of(part: str, rules: Rules) -> str | None:
    part = _THE.sub("", part.strip())
    return next((name for name, pattern in rules.wire_agencies if pattern.fullmatch(part)), None)


def _wire_parts(names: str, rules: Rules) -> list[str | None]:
    """Each name of "AFP/Belga", "AFP, Reuters et Le Monde" as a news agency's canonical
    name, or None when it names no news agency."""
    parts = (p for chunk in _WITH.split(names) for p in rules.credit_separators.split(chunk))
    return [_wire_of(p, rules) for p in parts if p and p.strip()]


def wire_names(names: str, rules: Rules | None = None) -> tuple[str, ...]:
    """The news agencies `names` credits, by canonical name ("agence France-Presse/belga"
    gives ("AFP", "Belga")), when it names news agencies only; else ()."""
    rules = rules or load_rules()
    found = _wire_parts(names, rules) if len(names) <= rules.wire_line_max_chars else []
    if not found or None in found:
        return ()
    return tuple(dict.fromkeys(w for w in found if w))


def _credit_wires(credit: str, rules: Rules) -> tuple[str, ...]:
    """The agencies of an agency-only credit ("© AFP 2024", "(AFP/Belga).", "Source : AFP")."""
    if len(credit) > rules.wire_line_max_chars:
        return ()
    return wire_names(rules.credit_wrap.sub("", credit), rules)


def _is_with_line(line: str, rules: Rules) -> bool:
    """A line crediting news agencies: "Avec AFP", "Le Monde avec AFP" (a byline
    "Par X avec AFP" is a byline: it names people too)."""
    match = rules.with_line.match(line) if len(line) <= rules.wire_line_max_chars else None
    return match is not None and bool(wire_names(match["names"], rules)) and not _is_byline(line, rules)


def _is_agency_line(line: str, rules: Rules) -> bool:
    """A line naming agencies only ("AFP/Belga", "Getty Images"): a credit."""
    if len(line) > rules.wire_line_max_chars:
        return False
    parts = [p for p in rules.credit_separators.split(rules.credit_wrap.sub("", line)) if p.strip()]
    return bool(parts) and all(rules.agencies.fullmatch(_THE.sub("", p.strip())) for p in parts)


def _is_source_line(line: str, rules: Rules) -> bool:
    match = rules.source.match(line)
    return match is not None and len(match["name"].split()) <= rules.source_max_words


_LINE_RULES: tuple[tuple[str, Callable[[str, Rules], bool]], ...] = (
    ("read_also", _is_read_also),
    ("share", _is_share),
    ("comments", _is_comment),
    ("advertising", _is_advertising),
    ("paywall", _is_paywall),
    ("account", _is_account),
    ("wire_credit", _is_with_line),
    ("credit", _is_paren_credit),
    ("copyright", _is_copyright),
    ("credit", _is_credit_line),
    ("cookie", _is_cookie),
    ("promo", _is_promo),
    ("date_line", _is_date_line),
    ("source_line", _is_source_line),
    ("byline", _is_byline),
    ("credit", _is_agency_line),
)


# Removed lines that show the page holds only part of the article.
_TRUNCATED_BY = frozenset({"paywall", "paywall_tail"})


def _line_rule(line: str, rules: Rules) -> str | None:
    return next((name for name, test in _LINE_RULES if test(line, rules)), None)


def _split_date_prefix(texts: list[str], rules: Rules) -> tuple[list[str], re.Match[str] | None]:
    """Take a leading "date 2023-06" off the first line, keeping the sentence after it."""
    match = rules.date_prefix.match(texts[0]) if texts else None
    if match is None:
        return texts, None
    rest = texts[0][match.end() :].strip()
    return ([rest] if rest else []) + texts[1:], match


def _dates(texts: list[str], marks: list[str | None], rules: Rules) -> tuple[str | None, str | None]:
    """(published, updated): the first of each found on the date lines."""
    published = updated = None
    for text, mark in zip(texts, marks, strict=True):
        if mark != "date_line":
            continue
        for clause in rules.date_clause.finditer(_compact(text)):
            if clause["pub"] and published is None:
                published = clause["date"]
            elif clause["upd"] and updated is None:
                updated = clause["date"]
    return published, updated


def _source(texts: list[str], marks: list[str | None], rules: Rules) -> str | None:
    for text, mark in zip(texts, marks, strict=True):
        if mark == "source_line":
            return rules.source.match(text)["name"]
    return None


def _is_site_name(line: str, rules: Rules) -> bool:
    return (
        _is_title_like(line, rules.title_max_chars, rules)
        and len(line.split()) <= rules.site_name_max_words
        and ":" not in line
    )


def _title_parts(title: str, rules: Rules) -> list[str]:
    return [part for part in rules.title_separator.split(title) if part.strip()]


def _is_repeat(line: str, key: str, rules: Rules) -> bool:
    """The title itself, or the title followed by a site name or rubric after a
    separator ("Le titre | Rubrique | Le Site | 12.03.2024"). A sentence is never
    such a heading: "MOSCOU - Le Kremlin a annoncé lundi…" under the title "Moscou"
    is a dateline opening the article."""
    if _key(line) == key:
        return True
    if len(line) > rules.title_max_chars or _is_sentence(line, rules):
        return False
    parts = _title_parts(line, rules)
    return len(parts) > 1 and _key(parts[0]) == key


def _drop_repeats(texts: list[str], marks: list[str | None], order: list[int], key: str, rules: Rules) -> int:
    """Mark the leading lines of `order` that repeat the title `key`; return how many."""
    count = 0
    for i in order:
        if not key or not _is_repeat(texts[i], key, rules):
            break
        marks[i] = "title_repeat"
        count += 1
    return count


def _header(
    texts: list[str], marks: list[str | None], title: str | None, rules: Rules
) -> tuple[str | None, str | None]:
    """(title, site name) from the top of the text, their lines marked.

    A known title only removes its repeats, after an optional site-name line.
    Otherwise the first line is the title when title-like; when the first two
    lines are both title-like and the first is a short name, the first is the
    site name and the second the title. A title needs body text after it.
    """
    order = [i for i, mark in enumerate(marks) if mark is None]
    if title is not None:
        key = _key(title)
        site_first = len(order) > 1 and _key(texts[order[0]]) != key
        if site_first and _is_site_name(texts[order[0]], rules):
            if _drop_repeats(texts, marks, order[1:], key, rules):
                marks[order[0]] = "site_name"
                return title, texts[order[0]]
            return title, None
        _drop_repeats(texts, marks, order, key, rules)
        return title, None
    if len(order) < 2 or not _is_title_like(texts[order[0]], rules.title_max_chars, rules):
        return None, None
    first, second = texts[order[0]], texts[order[1]]
    site = (
        len(order) > 2
        and _is_site_name(first, rules)
        and _is_title_like(second, rules.title_max_chars, rules)
        and len(second.split()) > len(first.split())
    )
    if site:
        marks[order[0]] = "site_name"
        order = order[1:]
    marks[order[0]] = "title"
    _drop_repeats(texts, marks, order[1:], _key(texts[order[0]]), rules)
    return texts[order[0]], first if site else None


def _read_also_links(texts: list[str], marks: list[str | None], rules: Rules) -> None:
    """A bare "Lire aussi" line links the unrelated title on the next line."""
    for i in range(len(texts) - 1):
        if (
            marks[i] == "read_also"
            and marks[i + 1] is None
            and _is_bare_read_also(texts[i], rules)
            and _is_title_like(texts[i + 1], rules.title_max_chars, rules)
        ):
            marks[i + 1] = "read_also_link"


def _captions(texts: list[str], marks: list[str | None], rules: Rules) -> None:
    """The line just above a short credit is its caption when it does not end a sentence."""
    for i in range(1, len(texts)):
        if (
            marks[i] == "credit"
            and len(texts[i].split()) <= rules.caption_credit_max_words
            and marks[i - 1] is None
            and _is_title_like(texts[i - 1], rules.caption_max_chars, rules)
        ):
            marks[i - 1] = "caption"


def _comment_section(texts: list[str], marks: list[str | None], rules: Rules) -> None:
    """A comment header in the second half ends the article: the comments are noise."""
    for i in range(len(texts) // 2, len(texts)):
        if marks[i] == "comments" and rules.comment_header.search(texts[i]):
            for j in range(i + 1, len(texts)):
                marks[j] = marks[j] or "comment_section"
            return


def _paywall_tail(texts: list[str], marks: list[str | None], rules: Rules) -> None:
    """A teaser cut off by an ellipsis, then a paywall or account line in the second half: the
    article stops there and the rest is the subscription offer (its arguments,
    prices, login links), whatever its wording.

    The half is counted in characters: a teaser is a few long paragraphs, the
    offer under it many short lines."""
    half = sum(len(t) for t in texts) / 2
    before = 0
    previous = None
    for i, mark in enumerate(marks):
        if mark is None:
            previous = i
        elif (
            mark in ("paywall", "account")
            and before >= half
            and previous is not None
            and rules.teaser_end.search(texts[previous])
        ):
            for j in range(i + 1, len(texts)):
                marks[j] = marks[j] or "paywall_tail"
            return
        before += len(texts[i])


def _link_lists(texts: list[str], marks: list[str | None], rules: Rules) -> None:
    """A "live" box: lines opening with "> " that link to other stories, under a heading
    ("Les principales infos de ce matin"). Under a known heading one line is a box;
    under any other title-like line, `link_min_lines` of them."""
    i = 0
    while i < len(texts):
        j = i
        while j < len(texts) and len(texts[j]) <= rules.title_max_chars and rules.link_line.match(texts[j]):
            j += 1
        if j == i:
            i += 1
            continue
        above = texts[i - 1] if i > 0 and marks[i - 1] is None else ""
        heading = len(above) <= rules.link_heading_max_chars and not _is_sentence(above, rules)
        known = heading and bool(rules.link_headings.search(above))
        if known or j - i >= rules.link_min_lines:
            for k in range(i, j):
                marks[k] = marks[k] or "link_list"
            if above and heading:
                marks[i - 1] = "link_list"
        i = j


def strip_site_name(title: str, names: list[str | None]) -> str:
    """`title` without the site name it carries before or after a separator.

    A part is the site name when all its words are words of one of `names` (the
    site name, the host name) or when it holds no letter (a date): "Le titre |
    RFI | 12.03.2024" with the site "rfi.fr" gives "Le titre".
    At least one part is always kept.
    """
    rules = load_rules()
    site_words = [set(words(name)) for name in names if name]
    # "Radio Nord" is the host radionord.fr: compare without spaces too
    compact = {"".join(words(name)) for name in names if name}
    compact |= {word for site in site_words for word in site}
    parts = rules.title_separator.split(title)
    seps = [m.group() for m in rules.title_separator.finditer(title)]

    def is_site(part: str) -> bool:
        folded = words(part)
        if not _LETTER.search(part) or "".join(folded) in compact:
            return True
        return any(set(folded) <= site for site in site_words if folded)

    start, end = 0, len(parts)
    while end - start > 1 and is_site(parts[end - 1]):
        end -= 1
    while end - start > 1 and is_site(parts[start]):
        start += 1
    if (start, end) == (0, len(parts)):
        return title
    kept = [parts[start]]
    for k in range(start + 1, end):
        kept += [seps[k - 1], parts[k]]
    return "".join(kept).strip() or title


def _credit_kind(credit: str, rules: Rules) -> str | None:
    """Kind of a parenthesised credit: "agency" for "(AFP)" or "(AFP/Reuters)", "photo"
    for "(Name/Agency)" or "(Photo: X)", None for anything else ("(ISW)", "(1/2)")."""
    parts = [p for p in rules.credit_separators.split(credit.strip()) if p]
    if parts and all(rules.agencies.fullmatch(p) for p in parts):
        return "agency"
    last = parts[-1] if parts else ""
    if "/" in credit and (rules.agencies.fullmatch(last) or rules.credit_keyword.search(last)):
        return "photo"
    return "photo" if rules.credit_line.search(credit) else None


def _trailing_credits(texts: list[str], marks: list[str | None], rules: Rules) -> list[tuple[int, str, str]]:
    """Drop captions that end in a credit; cut agency credits off article sentences.

    A line ending in a photographer's credit ("… en Ukraine. (Roman Chop/Associated
    Press)") is a caption and goes whole, as does a line without final punctuation
    ending in an agency ("Des manifestants à Paris (AFP)"). An article sentence
    followed by a bare agency ("… a-t-il déclaré. (AFP)") is a dateline credit:
    the sentence stays and only the credit is cut. Over `caption_max_chars` a line
    is article text whatever its ending, so only its credit is cut.
    Returns (line index, rule, removed fragment) for the cut credits.
    """
    cut: list[tuple[int, str, str]] = []
    for i, text in enumerate(texts):
        match = rules.trailing_credit.match(text) if marks[i] is None else None
        kind = _credit_kind(match["inner"], rules) if match else None
        if kind is None:
            continue
        short = len(text) <= rules.caption_max_chars
        if short and (kind == "photo" or not _is_sentence(match["text"], rules)):
            marks[i] = "caption"
        else:
            texts[i] = match["text"]
            cut.append((i, "trailing_credit", match["credit"]))
    return cut


def _authors(texts: list[str], marks: list[str | None], rules: Rules) -> tuple[str, ...]:
    found: dict[str, str] = {}
    for text, mark in zip(texts, marks, strict=True):
        if mark == "byline":
            for name in byline_names(text, rules):
                found.setdefault(_key(name), name)
    return tuple(found.values())


_WITH_TAIL = re.compile(r"\b(?:avec|with)\s++(?P<names>[^.]{1,60}?)\s*+\.?$", re.IGNORECASE)


def _wires(
    texts: list[str], marks: list[str | None], cut: list[tuple[int, str, str]], rules: Rules
) -> tuple[tuple[str, str], ...]:
    """(agency, evidence) for each news agency the article credits, in text order.

    `texts` are the lines as cleaned (their trailing credits cut), `cut` the cut
    credits. Article-level credits only: a dateline in the first kept lines, a
    credit cut off an article sentence, a byline or a line "avec AFP", a
    "Source :" line, and an agency-only credit after the last kept line that no
    caption precedes. A credit under a caption or mid-text is a photo's."""
    found: list[tuple[int, tuple[str, ...], str]] = []
    kept = [i for i, mark in enumerate(marks) if mark is None]
    for i in kept[: rules.dateline_lines]:
        match = rules.dateline.match(texts[i])
        if match:
            found.append((i, wire_names(match["inner"], rules), match["dateline"]))
    cut_wires = [
        (i, _credit_wires(credit, rules), credit) for i, rule, credit in cut if rule == "trailing_credit"
    ]
    found += cut_wires
    last_kept = kept[-1] if kept else -1
    for i, (text, mark) in enumerate(zip(texts, marks, strict=True)):
        if mark == "byline":
            byline = rules.byline.match(text)
            names = rules.byline_separators.split(byline["names"]) if byline else []
            found.append((i, tuple(w for n in names if (w := _wire_of(n, rules))), text))
            if tail := _WITH_TAIL.search(text):
                found.append((i, wire_names(tail["names"], rules), tail.group().rstrip(".")))
        elif mark == "wire_credit":
            found.append((i, wire_names(rules.with_line.match(text)["names"], rules), text))
        elif mark == "source_line":
            parts = _wire_parts(rules.source.match(text)["name"], rules)
            found.append((i, tuple(w for w in parts if w), text))
        elif mark in ("credit", "copyright") and i > last_kept and (i == 0 or marks[i - 1] != "caption"):
            found.append((i, _credit_wires(text, rules), text))
    wires: dict[str, str] = {}
    for _, agencies, evidence in sorted(found, key=lambda item: item[0]):
        for agency in agencies:
            wires.setdefault(agency, _compact(evidence))
    return tuple(wires.items())


def clean(text: str, *, title: str | None = None) -> Cleaned:
    """Article text without its surroundings, and the metadata found in them."""
    rules = load_rules()
    texts, prefix = _split_date_prefix([line.strip() for line in text.splitlines() if line.strip()], rules)
    marks: list[str | None] = [_line_rule(t, rules) for t in texts]
    published, updated = _dates(texts, marks, rules)
    source = _source(texts, marks, rules)
    _link_lists(texts, marks, rules)
    title, site = _header(texts, marks, title, rules)
    _read_also_links(texts, marks, rules)
    _captions(texts, marks, rules)
    _comment_section(texts, marks, rules)
    _paywall_tail(texts, marks, rules)
    originals = list(texts)
    cut = _trailing_credits(texts, marks, rules)
    removed = [(i, mark, originals[i]) for i, mark in enumerate(marks) if mark is not None]
    removed = sorted(removed + cut, key=lambda item: item[0])
    if prefix:
        removed.insert(0, (-1, "date_prefix", prefix.group().strip()))
    return Cleaned(
        body="\n".join(t for t, mark in zip(texts, marks, strict=True) if mark is None),
        title=title,
        source=source or site,
        date_text=(prefix["date"] if prefix else None) or published or updated,
        removed=tuple((rule, line) for _, rule, line in removed),
        truncated=any(mark in _TRUNCATED_BY for mark in marks),
        authors=_authors(originals, marks, rules),
        wires=_wires(texts, marks, cut, rules),
    )
