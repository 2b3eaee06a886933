import json
from pathlib import Path

from extractors.files import discover, read
from extractors.records import Document, Rejected, RejectReason


def test_discover_recurses_in_order_and_skips_hidden_and_unsupported(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / ".git").mkdir()
    for name in ["b/2.html", "a.txt", "b/1.jsonl", "notes.pdf", ".hidden.txt", ".git/x.txt"]:
        (tmp_path / name).write_text("x", encoding="utf-8")
    found = [Path(r.path).relative_to(tmp_path).as_posix() for r in discover([tmp_path])]
    assert found == ["a.txt", "b/1.jsonl", "b/2.html"]


def test_explicit_unsupported_or_missing_path_gets_an_outcome(tmp_path: Path) -> None:
    pdf = tmp_path / "x.pdf"
    pdf.write_bytes(b"%PDF")
    (unsupported,) = read(next(discover([pdf])), 1000)
    assert isinstance(unsupported, Rejected) and unsupported.reason is RejectReason.UNSUPPORTED
    (missing,) = read(next(discover([tmp_path / "nope.txt"])), 1000)
    assert isinstance(missing, Rejected) and missing.reason is RejectReason.UNREADABLE
    assert missing.location.endswith("/nope.txt")


def test_size_cap_is_checked_before_reading(tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    big.write_bytes(b"a" * 101)
    (out,) = read(next(discover([big])), 100)
    assert isinstance(out, Rejected) and out.reason is RejectReason.TOO_LARGE
    assert "101 bytes" in out.detail


def test_jsonl_records_each_get_a_location_and_bad_lines_are_rejected(tmp_path: Path) -> None:
    path = tmp_path / "items.jsonl"
    lines = [
        json.dumps({"text": "Bonjour", "url": "https://www.example.fr/a?utm_source=x",
                    "title": "T", "published": "2023-06-01", "source": "Ex"}),
        "{not json",
        json.dumps({"title": "no body"}),
        "",
        json.dumps({"html": "<p>Salut</p>"}),
    ]  # fmt: skip
    path.write_text("\n".join(lines), encoding="utf-8")
    out = read(next(discover([path])), 10_000)
    assert [type(o).__name__ for o in out] == ["Document", "Rejected", "Rejected", "Document"]
    first, bad, nobody, html = out
    assert isinstance(first, Document) and first.url == "https://www.example.fr/a"
    assert (first.title, first.published, first.source) == ("T", "2023-06-01", "Ex")
    assert first.location.endswith("items.jsonl#1") and bad.location.endswith("#2")
    assert "neither 'text' nor 'html'" in nobody.detail
    assert isinstance(html, Document) and html.kind == "html" and html.location.endswith("#5")


def test_json_object_and_list(tmp_path: Path) -> None:
    one = tmp_path / "one.json"
    one.write_text(json.dumps({"text": "Un"}), encoding="utf-8")
    many = tmp_path / "many.json"
    many.write_text(json.dumps([{"text": "A"}, {"text": 3}]), encoding="utf-8")
    (doc,) = read(next(discover([one])), 1000)
    assert isinstance(doc, Document) and doc.location.endswith("one.json")
    a, b = read(next(discover([many])), 1000)
    assert isinstance(a, Document) and isinstance(b, Rejected) and "must be a string" in b.detail
