"""`veille report`: one self-contained HTML page of what the database holds.

Coverage per day and source, the largest stories with their outlets and first
publisher, the wire share, the authors, and the inputs rejected or found to be
duplicates. Each section reads the analysts' views (storage/schema.py) on one
sandboxed read-only connection, the one `veille query` uses, so the page shows
what a query would answer. A read never migrates: on a database at an older
schema, a section whose views are missing says which schema brings them.

The charts are plotly figures and plotly.js is inlined once, so the page opens
with no network (its Content-Security-Policy forbids any request). Data is
escaped twice over: as HTML in the page, and in chart labels too, since plotly
reads a few HTML tags (`<b>`, `<a href>`) in the text it draws.
"""

from __future__ import annotations

import contextlib
import html
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from extractors.core.errors import TerminalError
from storage.store import Store

TOP_SOURCES_PER_DAY = 8  # the per-day chart stacks these, the rest as "other sources"
TOP_ROWS = 20  # bars and table rows of sources, authors, agencies
TOP_STORIES = 15
LABEL_CHARS = 50  # a category label on a chart axis; tables show the whole text
UNKNOWN_SOURCE = "(unknown source)"
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
COLORS = ["#3b6fb6", "#e07b39", "#3a9d6b", "#c8475b", "#7d5bb5", "#c9a227", "#3aa6b9", "#8c6d4f", "#d36fb0"]
OTHER_COLOR = "#b8bec7"
WIRE_COLOR, OWN_COLOR = "#e07b39", "#3b6fb6"
# plotly.js needs inline scripts and styles; nothing else, and no request of any kind.
CSP = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
    "img-src data: blob:; font-src data:; base-uri 'none'; form-action 'none'"
)
CHART_CONFIG = {
    "displaylogo": False,
    "responsive": True,
    "modeBarButtonsToRemove": ["select2d", "lasso2d", "autoScale2d", "zoomIn2d", "zoomOut2d"],
}
DAY_MS = 86_400_000


class ReportError(TerminalError):
    """The report could not be read or written; the message says why."""


# The views each section reads, and the migration that creates them.
SECTION_VIEWS: dict[str, tuple[int, tuple[str, ...]]] = {
    "coverage": (4, ("daily_volume",)),
    "stories": (9, ("story_outlets",)),
    "wires": (9, ("wire_share", "agency_daily")),
    "authors": (9, ("author_articles",)),
    "outcomes": (4, ("rejects_daily",)),
}


@dataclass(frozen=True)
class Written:
    """What `write_report` wrote, for the command's one line."""

    path: Path
    bytes: int
    articles: int
    charts: int
    unavailable: tuple[str, ...]

    def line(self) -> str:
        size = f"{self.bytes / 1e6:.1f} MB" if self.bytes >= 1e5 else f"{self.bytes / 1e3:.0f} kB"
        missing = f"; unavailable at this schema: {', '.join(self.unavailable)}" if self.unavailable else ""
        return (
            f"veille: report of {self.articles:,} articles, {self.charts} charts, written to "
            f"{self.path} ({size}){missing}"
        )


# -- escaping ------------------------------------------------------------------


def _h(value: Any) -> str:
    """Data as HTML text or attribute value."""
    return "" if value is None else html.escape(str(value), quote=True)


def _short(text: str, limit: int | None) -> str:
    text = " ".join(text.split())
    return text if limit is None or len(text) <= limit else text[: limit - 1].rstrip() + "…"


def plot_text(value: Any, limit: int | None = LABEL_CHARS) -> str:
    """Data as a plotly label: plotly draws `<b>`, `<br>`, `<a href>` in its
    text and decodes entities, so `&`, `<`, `>` go in as entities and come out
    as themselves."""
    text = _short("" if value is None else str(value), limit)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _labels(values: Sequence[Any], limit: int | None = LABEL_CHARS) -> list[str]:
    """Category labels, one per value: two values that shorten to one label
    would make one bar of two."""
    seen: dict[str, int] = {}
    labels = []
    for value in values:
        label = plot_text(value, limit)
        seen[label] = seen.get(label, 0) + 1
        labels.append(label if seen[label] == 1 else f"{label} ({seen[label]})")
    return labels


def _link(text: Any, url: str | None) -> str:
    """A link to an article's web page; other URLs (files, anything not http) stay text."""
    if url and url.lower().startswith(("http://", "https://")):
        return f'<a href="{_h(url)}" rel="noopener noreferrer">{_h(text)}</a>'
    return _h(text)


def _percent(part: float, whole: float) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "—"


def _day(value: Any) -> str:
    if value is None:
        return ""
    return value.date().isoformat() if isinstance(value, datetime) else str(value)


# -- reading -------------------------------------------------------------------


class _Reader:
    """One connection's rows as dicts, with the report's period."""

    def __init__(self, con: duckdb.DuckDBPyConnection, since: date | None) -> None:
        self.con, self.since = con, since
        tables = {t for (t,) in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        if "schema_version" not in tables or "articles" not in tables:
            raise ReportError("not a Veille database (no schema_version or articles table)")
        self.version = con.execute("SELECT max(version) FROM schema_version").fetchone()[0] or 0
        self.views = {v for (v,) in con.execute("SELECT view_name FROM duckdb_views()").fetchall()}

    def missing(self, section: str) -> tuple[int, list[str]]:
        schema, views = SECTION_VIEWS[section]
        return schema, [v for v in views if v not in self.views]

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        cursor = self.con.execute(sql, list(params))
        columns = [d[0] for d in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]

    def one(self, sql: str, params: Sequence[Any] = ()) -> dict[str, Any]:
        return self.rows(sql, params)[0]

    def where(self, column: str, *more: str) -> tuple[str, list[Any]]:
        """A WHERE clause keeping the period (`column` is a DATE), and its parameters."""
        conditions, params = list(more), []
        if self.since:
            conditions.append(f"{column} >= ?")
            params.append(self.since)
        return (f"WHERE {' AND '.join(conditions)}" if conditions else ""), params


# -- charts --------------------------------------------------------------------


@dataclass
class _Charts:
    """The page's plotly figures, as HTML divs; plotly.js is added once for all."""

    divs: list[str] = field(default_factory=list)

    def add(self, chart_id: str, traces: list[Any], height: int, **layout: Any) -> str:
        import plotly.graph_objects as go

        fig = go.Figure(traces)
        fig.update_layout(
            template="plotly_white",
            height=height + (34 if layout.get("showlegend") else 0),
            # room above a legend for the toolbar plotly shows on hover
            margin={"l": 10, "r": 20, "t": 64 if layout.get("showlegend") else 30, "b": 40},
            font={"family": FONT, "size": 13, "color": "#1f2933"},
            legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0, "traceorder": "normal"},
            hoverlabel={"font": {"family": FONT}},
            **layout,
        )
        div = fig.to_html(full_html=False, include_plotlyjs=False, div_id=chart_id, config=CHART_CONFIG)
        self.divs.append(chart_id)
        return f'<div class="chart" data-chart="{_h(chart_id)}">{div}</div>'


def _bars(
    charts: _Charts,
    chart_id: str,
    labels: list[str],
    series: list[tuple[str, list[int], str]],
    axis_title: str,
) -> str:
    """Horizontal bars, largest on top; `series` stack (name, values, color)."""
    import plotly.graph_objects as go

    traces = [
        go.Bar(
            y=labels,
            x=values,
            name=name,
            orientation="h",
            marker_color=color,
            hovertemplate="%{y}: %{x}<extra>" + name + "</extra>",
        )
        for name, values, color in series
    ]
    return charts.add(
        chart_id,
        traces,
        height=110 + 26 * len(labels),
        barmode="stack",
        showlegend=len(series) > 1,
        yaxis={"type": "category", "autorange": "reversed", "automargin": True},
        xaxis=_count_axis(series, axis_title),
    )


def _periods(days: list[date]) -> tuple[str, Callable[[date], date], int]:
    """The period a chart over `days` counts by: days over three months would
    be slivers, so weeks (from Monday) up to two years, months beyond; and the
    length of one, in days."""
    span = (days[-1] - days[0]).days if days else 0
    if span <= 92:
        return "day", lambda d: d, 1
    if span <= 731:
        return "week", lambda d: d - timedelta(days=d.weekday()), 7
    return "month", lambda d: d.replace(day=1), 30


def _per_period(
    charts: _Charts,
    chart_id: str,
    heading: str,
    days: list[date],
    series: list[tuple[str, list[int], str]],
    axis_title: str,
) -> str:
    """A heading (with "{period}" in it) and stacked columns per day, week or
    month (`_periods`); `series` are (name, a value per day of `days`, color)."""
    import plotly.graph_objects as go

    period, start_of, length = _periods(days)
    starts = sorted({start_of(d) for d in days})
    index = {d: starts.index(start_of(d)) for d in days}
    summed = []
    for name, values, color in series:
        column = [0] * len(starts)
        for d, value in zip(days, values, strict=True):
            column[index[d]] += value
        summed.append((name, column, color))
    shown = {"day": "%Y-%m-%d", "week": "week of %Y-%m-%d", "month": "%Y-%m"}[period]
    middle = timedelta(hours=12 * length) if length > 1 else timedelta(0)  # a column spans its period
    x = [(datetime.combine(d, datetime.min.time()) + middle).isoformat() for d in starts]
    traces = [
        go.Bar(
            x=x,
            y=values,
            name=name,
            marker_color=color,
            width=0.8 * length * DAY_MS,
            customdata=[d.strftime(shown) for d in starts],
            hovertemplate="%{customdata}: %{y}<extra>" + name + "</extra>",
        )
        for name, values, color in summed
    ]
    first, last = starts[0], starts[-1] + timedelta(days=length - 1)
    pad = timedelta(days=max(1, (7 - (last - first).days) // 2) if period == "day" else length)
    xaxis = {
        "type": "date",
        "title": {"text": f"publication {period}"},
        "tickformat": "%b %Y" if period == "month" else "%d %b %Y",
        "range": [(first - pad).isoformat(), (last + pad + timedelta(days=1)).isoformat()],
    }
    if period == "day" and (last - first).days <= 14:
        xaxis["dtick"] = DAY_MS
    chart = charts.add(
        chart_id,
        traces,
        height=380,
        barmode="stack",
        showlegend=True,
        xaxis=xaxis,
        yaxis=_count_axis(summed, axis_title),
    )
    return f"<h3>{_h(heading.format(period=period))}</h3>\n{chart}"


def _count_axis(series: list[tuple[str, list[int], str]], title: str) -> dict[str, Any]:
    """An axis of counts: whole numbers only (no tick at 0.5 article)."""
    largest = max(
        (sum(column) for column in zip(*(values for _, values, _ in series), strict=True)), default=0
    )
    axis: dict[str, Any] = {"title": {"text": title}, "rangemode": "tozero", "tickformat": ",d"}
    if largest <= 10:
        axis["dtick"] = 1
    return axis


# -- sections ------------------------------------------------------------------


@dataclass
class _Section:
    key: str
    title: str
    body: str
    unavailable: bool = False


def _no_data(what: str) -> str:
    return f'<p class="empty">No data: {_h(what)}.</p>'


def _counts_panel(
    charts: _Charts,
    title: str,
    chart_id: str,
    rows: list[dict[str, Any]],
    columns: tuple[str, str, str, str],
    empty: str,
) -> str:
    """A titled bar chart of counts per label; `columns`: (label column, count
    column, series name, color)."""
    label, count, name, color = columns
    if not rows:
        return f"<h3>{_h(title)}</h3>\n" + _no_data(empty)
    labels, series = _labels([x[label] for x in rows]), [(name, [x[count] for x in rows], color)]
    return f"<h3>{_h(title)}</h3>\n" + _bars(charts, chart_id, labels, series, "inputs")


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], numeric: Sequence[int] = ()) -> str:
    """Cells are HTML already (escaped by the caller); `numeric`: right-aligned columns."""

    def cell(tag: str, i: int, content: str) -> str:
        return f'<{tag} class="num">{content}</{tag}>' if i in numeric else f"<{tag}>{content}</{tag}>"

    head = "".join(cell("th", i, _h(h)) for i, h in enumerate(headers))
    body = "".join("<tr>" + "".join(cell("td", i, c) for i, c in enumerate(r)) + "</tr>" for r in rows)
    return f'<table class="data"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _coverage(r: _Reader, charts: _Charts, totals: dict[str, Any]) -> str:
    where, params = r.where("day")
    per_source = r.rows(
        f"SELECT source, CAST(sum(articles) AS BIGINT) AS articles FROM daily_volume {where} "
        "GROUP BY source ORDER BY articles DESC, source NULLS LAST",
        params,
    )
    total = sum(s["articles"] for s in per_source)
    totals.update(articles=total, sources=sum(1 for s in per_source if s["source"] is not None))
    if not total:
        return _no_data("no article published in this period" if r.since else "no article stored yet")
    where_dated, params = r.where("day", "day IS NOT NULL")
    per_day = r.rows(
        f"SELECT day, source, CAST(articles AS BIGINT) AS articles FROM daily_volume {where_dated} "
        "ORDER BY day",
        params,
    )
    first, last = (per_day[0]["day"], per_day[-1]["day"]) if per_day else (None, None)
    dated = sum(d["articles"] for d in per_day)
    lead = [f"{total:,} articles from {totals['sources']:,} sources"]
    if first:
        lead.append(f"published from {first} to {last}")
    if dated < total:
        lead.append(f"{total - dated:,} undated (not in the chart per day)")
    parts = [f"<p>{_h('; '.join(lead))}.</p>"]
    if per_day:
        top = [s["source"] for s in per_source[:TOP_SOURCES_PER_DAY]]
        days = sorted({d["day"] for d in per_day})
        index = {d: i for i, d in enumerate(days)}
        counts: dict[Any, list[int]] = {s: [0] * len(days) for s in top}
        other = [0] * len(days)
        for d in per_day:
            (counts[d["source"]] if d["source"] in counts else other)[index[d["day"]]] += d["articles"]
        series = [
            (plot_text(s if s is not None else UNKNOWN_SOURCE), counts[s], COLORS[i % len(COLORS)])
            for i, s in enumerate(top)
        ]
        if any(other):
            series.append(("other sources", other, OTHER_COLOR))
        parts.append(
            _per_period(
                charts, "chart-coverage-day", "Articles per publication {period}", days, series, "articles"
            )  # fmt: skip
        )
    shown = per_source[:TOP_ROWS]
    parts.append(f"<h3>Articles per source{_top_note(len(per_source))}</h3>")
    labels = _labels([s["source"] if s["source"] is not None else UNKNOWN_SOURCE for s in shown])
    parts.append(
        _bars(
            charts,
            "chart-coverage-source",
            labels,
            [("articles", [s["articles"] for s in shown], COLORS[0])],
            "articles",
        )
    )
    return "\n".join(parts)


def _top_note(count: int, top: int = TOP_ROWS) -> str:
    return f" (the first {top} of {count:,})" if count > top else ""


def _stories(r: _Reader, charts: _Charts, totals: dict[str, Any]) -> str:
    where, params = r.where("CAST(last_published_at AS DATE)")
    counts = r.one(
        "SELECT count(*) AS stories, count(*) FILTER (WHERE article_count > 1) AS shared, "
        f"count(*) FILTER (WHERE source_count > 1) AS multi FROM story_outlets {where}",
        params,
    )
    totals["stories"] = counts["multi"]
    if not counts["stories"]:
        return _no_data("no story yet")
    where, params = r.where("CAST(last_published_at AS DATE)", "article_count > 1")
    largest = r.rows(
        "SELECT title, first_source, first_url, first_published_at, last_published_at, article_count, "
        f"source_count, sources, agencies, wire_articles, wire_share FROM story_outlets {where} "
        f"ORDER BY article_count DESC, source_count DESC, first_published_at, title LIMIT {TOP_STORIES}",
        params,
    )
    lead = (
        f"{counts['stories']:,} stories; {counts['shared']:,} with more than one article, "
        f"{counts['multi']:,} covered by more than one outlet."
    )
    if not largest:
        return f"<p>{_h(lead)}</p>" + _no_data("no story has more than one article yet")
    labels = _labels([f"{i}. {s['title'] or '(untitled)'}" for i, s in enumerate(largest, 1)])
    wire = [min(s["wire_articles"], s["article_count"]) for s in largest]
    own = [s["article_count"] - w for s, w in zip(largest, wire, strict=True)]
    chart = _bars(
        charts,
        "chart-stories",
        labels,
        [("own text", own, OWN_COLOR), ("wire credit", wire, WIRE_COLOR)],
        "articles",
    )
    rows = []
    for i, s in enumerate(largest, 1):
        share = "—" if s["wire_share"] is None else f"{100 * s['wire_share']:.0f}%"
        if s["agencies"]:
            share += f" ({', '.join(s['agencies'])})"
        rows.append(
            [
                str(i),
                _link(s["title"] or "(untitled)", s["first_url"]),
                f"{_h(s['first_source'] or UNKNOWN_SOURCE)}<br><small>{_day(s['first_published_at'])}"
                "</small>",
                str(s["article_count"]),
                _h(", ".join(s["sources"])),
                _h(share),
            ]
        )
    table = _table(
        ["#", "story (first article)", "first publisher", "articles", "outlets", "wire share"],
        rows,
        numeric=(0, 3),
    )
    return f"<p>{_h(lead)}</p>\n<h3>The largest stories</h3>\n{chart}\n{table}"


def _wires(r: _Reader, charts: _Charts, totals: dict[str, Any]) -> str:
    where, params = r.where("day")
    t = r.one(
        "SELECT coalesce(sum(articles), 0) AS articles, coalesce(sum(articles_checked), 0) AS checked, "
        f"coalesce(sum(wire_articles), 0) AS wire FROM wire_share {where}",
        params,
    )
    totals["wire"] = (t["wire"], t["checked"])
    if not t["checked"]:
        why = "no article whose wire credits were looked for"
        return _no_data(f"{why} (articles stored before schema 7 were not)" if t["articles"] else why)
    share = _percent(t["wire"], t["checked"])
    lead = f"{t['wire']:,} of {t['checked']:,} articles ({share}) credit a wire agency"
    if t["checked"] < t["articles"]:
        lead += f"; {t['articles'] - t['checked']:,} stored before wire credits were read are left out"
    parts = [f"<p>{_h(lead)}.</p>"]
    where_dated, params = r.where("day", "day IS NOT NULL")
    per_day = r.rows(
        "SELECT day, CAST(sum(wire_articles) AS BIGINT) AS wire, "
        f"CAST(sum(articles_checked) - sum(wire_articles) AS BIGINT) AS own FROM wire_share {where_dated} "
        "GROUP BY day HAVING sum(articles_checked) > 0 ORDER BY day",
        params,
    )
    if per_day:
        parts.append(
            _per_period(
                charts,
                "chart-wire-day",
                "Articles with and without a wire credit, per publication {period}",
                [d["day"] for d in per_day],
                [
                    ("own text", [d["own"] for d in per_day], OWN_COLOR),
                    ("wire credit", [d["wire"] for d in per_day], WIRE_COLOR),
                ],
                "articles",
            )
        )
    where, params = r.where("day")
    per_source = r.rows(
        "SELECT source, CAST(sum(wire_articles) AS BIGINT) AS wire, "
        f"CAST(sum(articles_checked) - sum(wire_articles) AS BIGINT) AS own FROM wire_share {where} "
        "GROUP BY source HAVING sum(articles_checked) > 0 "
        "ORDER BY wire DESC, own DESC, source NULLS LAST",
        params,
    )
    shown = per_source[:TOP_ROWS]
    parts.append(f"<h3>Per source{_top_note(len(per_source))}</h3>")
    parts.append(
        _bars(
            charts,
            "chart-wire-source",
            _labels([s["source"] if s["source"] is not None else UNKNOWN_SOURCE for s in shown]),
            [
                ("own text", [s["own"] for s in shown], OWN_COLOR),
                ("wire credit", [s["wire"] for s in shown], WIRE_COLOR),
            ],
            "articles",
        )
    )
    agencies = r.rows(
        f"SELECT agency, CAST(sum(articles) AS BIGINT) AS articles FROM agency_daily {where} "
        "GROUP BY agency ORDER BY articles DESC, agency",
        params,
    )
    if agencies:
        shown = agencies[:TOP_ROWS]
        parts.append(f"<h3>Articles per agency credited{_top_note(len(agencies))}</h3>")
        parts.append(
            _bars(
                charts,
                "chart-agencies",
                _labels([a["agency"] for a in shown]),
                [("articles", [a["articles"] for a in shown], WIRE_COLOR)],
                "articles",
            )
        )
    return "\n".join(parts)


def _authors(r: _Reader, charts: _Charts, totals: dict[str, Any]) -> str:
    where, params = r.where("published_date")
    signed = r.one(
        "SELECT count(*) FILTER (WHERE len(authors) > 0) AS signed, count(authors) AS checked "
        f"FROM articles {where}",
        params,
    )
    where, params = r.where("CAST(last_published_at AS DATE)")
    authors = r.rows(
        "SELECT author, articles, source_count, sources, first_published_at, last_published_at "
        f"FROM author_articles {where} ORDER BY articles DESC, source_count DESC, author",
        params,
    )
    totals["authors"] = len(authors)
    if not authors:
        return _no_data("no signed article" + (" in this period" if r.since else ""))
    lead = (
        f"{len(authors):,} people signed {signed['signed']:,} of the {signed['checked']:,} articles "
        f"whose bylines were read ({_percent(signed['signed'], signed['checked'])})"
    )
    if r.since:
        lead += "; authors who signed in this period, with all their articles"
    shown = authors[:TOP_ROWS]
    chart = _bars(
        charts,
        "chart-authors",
        _labels([a["author"] for a in shown]),
        [("articles", [a["articles"] for a in shown], COLORS[4])],
        "articles",
    )
    rows = [
        [
            _h(a["author"]),
            str(a["articles"]),
            _h(", ".join(a["sources"])),
            _h(_day(a["first_published_at"])),
            _h(_day(a["last_published_at"])),
        ]
        for a in shown
    ]
    table = _table(["author", "articles", "sources", "first", "last"], rows, numeric=(1,))
    return (
        f"<p>{_h(lead)}.</p>\n<h3>Authors with the most articles{_top_note(len(authors))}</h3>\n"
        f"{chart}\n{table}"
    )


def _outcomes(r: _Reader, charts: _Charts, totals: dict[str, Any]) -> str:
    where, params = r.where("day")
    rejects = r.rows(
        "SELECT reason, CAST(sum(rejects) AS BIGINT) AS rejects, CAST(sum(attempts) AS BIGINT) AS attempts "
        f"FROM rejects_daily {where} GROUP BY reason ORDER BY rejects DESC, reason",
        params,
    )
    where, params = r.where("CAST(detected_at AS DATE)")
    duplicates = r.rows(
        f"SELECT kind, count(*) AS duplicates FROM duplicates {where} GROUP BY kind "
        "ORDER BY duplicates DESC, kind",
        params,
    )
    totals["rejects"] = sum(x["rejects"] for x in rejects)
    totals["duplicates"] = sum(x["duplicates"] for x in duplicates)
    period = " (by the day they were recorded)" if r.since else ""
    left = _counts_panel(charts, f"Rejected inputs by reason{period}", "chart-rejects", rejects,
                         ("reason", "rejects", "rejected", COLORS[3]), "no input rejected")  # fmt: skip
    right = _counts_panel(charts, f"Duplicates by kind{period}", "chart-duplicates", duplicates,
                          ("kind", "duplicates", "duplicates", COLORS[2]), "no duplicate found")  # fmt: skip
    lead = (
        f"{totals['rejects']:,} inputs rejected, {totals['duplicates']:,} found to be duplicates "
        "(url: the same address; exact: the same text; near: nearly the same text)."
    )
    return f'<p>{_h(lead)}</p>\n<div class="pair"><div>{left}</div><div>{right}</div></div>'


SECTIONS: list[tuple[str, str, Callable[[_Reader, _Charts, dict[str, Any]], str]]] = [
    ("coverage", "Coverage", _coverage),
    ("stories", "Stories", _stories),
    ("wires", "Wire agencies", _wires),
    ("authors", "Authors", _authors),
    ("outcomes", "Rejects and duplicates", _outcomes),
]


# -- the page ------------------------------------------------------------------


@dataclass(frozen=True)
class Report:
    html: str
    articles: int
    charts: int
    unavailable: tuple[str, ...]


def build_report(store: Store, days: int | None = None, today: date | None = None) -> Report:
    """The page for `store`: all of it, or the last `days` days up to `today`."""
    today = today or date.today()
    since = today - timedelta(days=days - 1) if days else None
    charts = _Charts()
    totals: dict[str, Any] = {}
    sections: list[_Section] = []
    with store.connect(sandboxed=True) as con:  # one connection: the figures of one moment
        r = _Reader(con, since)
        for key, title, build in SECTIONS:
            schema, missing = r.missing(key)
            if missing:
                sections.append(_Section(key, title, _unavailable(r.version, schema, missing), True))
            else:
                sections.append(_Section(key, title, build(r, charts, totals)))
    page = _page(store.path, r.version, since, today, sections, totals, charts)
    unavailable = tuple(s.title.lower() for s in sections if s.unavailable)
    return Report(page, totals.get("articles", 0), len(charts.divs), unavailable)


def _unavailable(version: int, schema: int, views: list[str]) -> str:
    names = ", ".join(f"<code>{_h(v)}</code>" for v in views)
    return (
        f'<p class="unavailable">Unavailable: this database is at schema version {version}, and '
        f"{names} came with schema {schema}. A report only reads, it never migrates the database; "
        "the next <code>veille ingest</code> (or run of <code>veille serve</code>) does.</p>"
    )


def _card(label: str, value: str) -> str:
    return f'<div class="card"><div class="value">{_h(value)}</div><div class="label">{_h(label)}</div></div>'


def _page(
    db: Path,
    version: int,
    since: date | None,
    today: date,
    sections: list[_Section],
    totals: dict[str, Any],
    charts: _Charts,
) -> str:
    def count(key: str) -> str:
        return f"{totals[key]:,}" if key in totals else "—"

    wire, checked = totals.get("wire", (0, 0))
    cards = "".join(
        [
            _card("articles", count("articles")),
            _card("sources", count("sources")),
            _card("stories in several outlets", count("stories")),
            _card("wire share", _percent(wire, checked) if "wire" in totals else "—"),
            _card("authors", count("authors")),
            _card("duplicates", count("duplicates")),
            _card("rejected inputs", count("rejects")),
        ]
    )
    period = f"publication days from {since} to {today}" if since else "all the database"
    generated = datetime.now().astimezone().isoformat(timespec="seconds")
    nav = " · ".join(f'<a href="#{s.key}">{_h(s.title)}</a>' for s in sections)
    body = "\n".join(
        f'<section id="{s.key}">\n<h2>{_h(s.title)}</h2>\n{s.body}\n</section>' for s in sections
    )
    plotly_js = ""
    if charts.divs:
        from plotly.offline import get_plotlyjs

        plotly_js = f"<script>{get_plotlyjs()}</script>"
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Veille report: {_h(db.name)}</title>
<style>{CSS}</style>
{plotly_js}
</head>
<body>
<header>
<h1>Veille report</h1>
<p class="meta">{_h(period)} · database <code>{_h(db)}</code> (schema {version})
· generated {_h(generated)}</p>
<div class="cards">{cards}</div>
<nav>{nav}</nav>
</header>
<main>
{body}
</main>
<footer>Written by <code>veille report</code>. The figures come from the views of the database
(<code>daily_volume</code>, <code>story_outlets</code>, <code>wire_share</code>,
<code>agency_daily</code>, <code>author_articles</code>, <code>rejects_daily</code>):
<code>veille query</code> answers the same.</footer>
</body>
</html>
"""


CSS = """
body { font-family: system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif;
  color: #1f2933; background: #f6f7f9; margin: 0; line-height: 1.45; }
header, main, footer { max-width: 1180px; margin: 0 auto; padding: 0 24px; }
header { padding-top: 24px; }
h1 { margin: 0 0 4px; font-size: 28px; }
h2 { font-size: 22px; margin: 0 0 8px; }
h3 { font-size: 16px; margin: 20px 0 4px; color: #3e4c59; }
.meta { color: #52606d; margin: 0 0 16px; overflow-wrap: anywhere; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin-bottom: 12px; }
.card { flex: 1 1 0; background: #fff; border: 1px solid #e1e4e8; border-radius: 8px; padding: 10px 14px;
  min-width: 110px; }
.card .value { font-size: 24px; font-weight: 600; }
.card .label { color: #52606d; font-size: 13px; }
nav { margin: 8px 0 16px; }
nav a, table a { color: #2457a6; }
section { background: #fff; border: 1px solid #e1e4e8; border-radius: 8px; padding: 18px 22px;
  margin: 0 0 20px; }
.chart { margin: 4px 0 8px; }
.pair { display: grid; grid-template-columns: 1fr 1fr; gap: 24px; }
@media (max-width: 900px) { .pair { grid-template-columns: 1fr; } }
table.data { border-collapse: collapse; width: 100%; font-size: 14px; margin-top: 8px; }
table.data th, table.data td { text-align: left; vertical-align: top; padding: 6px 8px;
  border-bottom: 1px solid #e9ecef; overflow-wrap: anywhere; }
table.data th { background: #f0f2f5; font-weight: 600; }
table.data .num { text-align: right; white-space: nowrap; }
small { color: #52606d; }
.empty, .unavailable { color: #52606d; background: #f6f7f9; border-left: 4px solid #b8bec7;
  padding: 10px 14px; }
.unavailable { border-left-color: #e0a800; }
code { font-size: 90%; }
footer { color: #52606d; font-size: 13px; padding-bottom: 32px; }
"""


def write_report(store: Store, out: Path, days: int | None = None) -> Written:
    """Write the page to `out` whole: in a temporary file beside it, then renamed
    over it, so a failed report leaves the previous one as it was."""
    report = build_report(store, days)
    tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(report.html, encoding="utf-8")
        os.replace(tmp, out)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise ReportError(f"cannot write {out}: {exc.strerror or exc}") from exc
    return Written(out, out.stat().st_size, report.articles, report.charts, report.unavailable)


# -- a run's figures, for the flow's summary artifact --------------------------


@dataclass(frozen=True)
class RunStory:
    title: str | None
    url: str | None
    first_source: str | None
    article_count: int
    source_count: int
    new_articles: int


@dataclass(frozen=True)
class RunFigures:
    """The stories and wire credits of one run's new articles."""

    articles: int
    checked: int
    wire: int
    agencies: dict[str, int]
    stories: list[RunStory]

    def wire_line(self) -> str:
        if not self.checked:
            return "Wire credits: none looked for in this run's articles."
        credits = ", ".join(f"{a} {n}" for a, n in self.agencies.items())
        return (
            f"Wire credits: {self.wire} of this run's {self.checked} new articles "
            f"({_percent(self.wire, self.checked)}) credit an agency" + (f" ({credits})." if credits else ".")
        )


def run_figures(store: Store, run_id: str, limit: int = 5) -> RunFigures | None:
    """None on a database without the views (a summary then leaves them out)."""
    with store.connect(read_only=True) as con:
        views = {v for (v,) in con.execute("SELECT view_name FROM duckdb_views()").fetchall()}
        if not {"story_outlets", "wire_share"} <= views:
            return None
        articles, checked, wire = con.execute(
            "SELECT count(*), count(wire_agencies), count(*) FILTER (WHERE len(wire_agencies) > 0) "
            "FROM articles WHERE run_id = ?",
            [run_id],
        ).fetchone()
        agencies = con.execute(
            "SELECT agency, count(*) FROM (SELECT unnest(wire_agencies) AS agency FROM articles "
            "WHERE run_id = ?) GROUP BY agency ORDER BY 2 DESC, 1",
            [run_id],
        ).fetchall()
        stories = con.execute(
            "SELECT s.title, s.first_url, s.first_source, s.article_count, s.source_count, count(*) "
            "FROM story_outlets s JOIN articles a ON a.story_id = s.story_id "
            "WHERE a.run_id = ? AND s.article_count > 1 "
            "GROUP BY s.story_id, s.title, s.first_url, s.first_source, s.article_count, s.source_count "
            "ORDER BY s.article_count DESC, s.source_count DESC, s.title LIMIT ?",
            [run_id, limit],
        ).fetchall()
    return RunFigures(articles, checked, wire, dict(agencies), [RunStory(*row) for row in stories])
