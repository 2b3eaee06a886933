"""Publication dates with their precision and provenance.

Dates come as text in several shapes: ISO strings from HTML metadata or JSON
records ("2023-06-15T10:00:00+02:00"), RFC 822 strings from feeds, French
prose from metadata lines ("12 mars 2023", "Publié le 3 mars 2024 à 10h12"),
and partial dates ("2023-06"). A date with no time zone is taken as
Europe/Paris time; a date with no time at all is midnight UTC. A date in the
future (beyond a day of clock skew) or before 1990 is not a publication date
and is dropped.

A date string is short: whitespace runs count as one space, and a string
still longer than MAX_DATE_CHARS is not a date, so the patterns never see a
page's worth of whatever a page or record declares. Their whitespace
quantifiers are possessive where a run could otherwise be split between two
of them: "12 mars 2023", 16,000 spaces and a word took 3 s, spent trying every
split of the spaces before and after a time-of-day separator.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from zoneinfo import ZoneInfo

from extractors.core.records import DatePrecision, PublicationDate
from extractors.core.textnorm import fold

PARIS = ZoneInfo("Europe/Paris")
_EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
MAX_DATE_CHARS = 200

_MONTHS = {
    "janvier": 1, "janv": 1, "jan": 1, "january": 1,
    "fevrier": 2, "fevr": 2, "fev": 2, "feb": 2, "february": 2,
    "mars": 3, "mar": 3, "march": 3,
    "avril": 4, "avr": 4, "apr": 4, "april": 4,
    "mai": 5, "may": 5,
    "juin": 6, "jun": 6, "june": 6,
    "juillet": 7, "juil": 7, "jul": 7, "july": 7,
    "aout": 8, "aug": 8, "august": 8,
    "septembre": 9, "sept": 9, "sep": 9, "september": 9,
    "octobre": 10, "oct": 10, "october": 10,
    "novembre": 11, "nov": 11, "november": 11,
    "decembre": 12, "dec": 12, "december": 12,
}  # fmt: skip
_MONTH_RE = "|".join(sorted(_MONTHS, key=len, reverse=True))

_ISO_PARTIAL = re.compile(r"^(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?$")
_NUMERIC_DMY = re.compile(r"\b(\d{1,2})[/.](\d{1,2})[/.](\d{4})\b")
_PROSE = re.compile(
    rf"\b(?:(\d{{1,2}})(?:er)?\s++)?({_MONTH_RE})\.?\s++(\d{{4}})"
    r"(?:\s*+(?:(?:a|,|-)\s*+)?(\d{1,2})\s*+[h:]\s*+(\d{2})?)?",
)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=PARIS)


def _plausible(value: datetime, now: datetime) -> bool:
    return _EARLIEST <= value <= now + timedelta(days=1)


def _build(
    year: int, month: int | None, day: int | None, hour: int | None = None, minute: int = 0
) -> tuple[datetime, DatePrecision]:
    """A date without a time is kept at midnight UTC, so that its calendar date
    reads the same in any session time zone; a local time is Paris time."""
    precision = DatePrecision.DAY if day else DatePrecision.MONTH if month else DatePrecision.YEAR
    zone = UTC if hour is None else PARIS
    return datetime(year, month or 1, day or 1, hour or 0, minute, tzinfo=zone), precision


def parse(text: str | None, source: str, now: datetime | None = None) -> PublicationDate | None:
    """Parse a date string; None when it is absent, unparseable, implausible or
    too long to be a date (see the module docstring)."""
    raw = " ".join(text.split()) if text else ""
    if not raw or len(raw) > MAX_DATE_CHARS:
        return None
    now = now or datetime.now(UTC)
    try:
        parsed = _parse(raw)
    except (ValueError, OverflowError):
        return None
    if parsed is None:
        return None
    value, precision = parsed
    if not _plausible(value, now):
        return None
    return PublicationDate(value=value, precision=precision, source=source)


def _parse(raw: str) -> tuple[datetime, DatePrecision] | None:
    match = _ISO_PARTIAL.match(raw)
    if match:
        year, month, day = (int(g) if g else None for g in match.groups())
        return _build(year, month, day)  # type: ignore[arg-type]
    try:
        return _aware(datetime.fromisoformat(raw.replace("Z", "+00:00"))), DatePrecision.DAY
    except ValueError:
        pass
    try:
        return _aware(parsedate_to_datetime(raw)), DatePrecision.DAY
    except (TypeError, ValueError, IndexError):
        pass
    folded = fold(raw)
    match = _PROSE.search(folded)
    if match:
        day, month, year, hour, minute = match.groups()
        return _build(
            int(year), _MONTHS[month], int(day) if day else None,
            int(hour) if hour else None, int(minute or 0),
        )  # fmt: skip
    match = _NUMERIC_DMY.search(folded)
    if match:
        day, month, year = (int(g) for g in match.groups())
        return _build(year, month, day)
    return None


def first(*candidates: PublicationDate | None) -> PublicationDate | None:
    """The first known date, in the caller's order of trust."""
    return next((c for c in candidates if c is not None), None)
