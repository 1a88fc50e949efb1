from dpa.versions import sample_dpa
from dpa.versions.clauses import diff_clauses, render_markdown, split_clauses


def test_clauses_are_numbered_and_annexes_are_not():
    clauses = split_clauses(sample_dpa.body("current", "Routewise B.V."))
    headings = [c.heading for c in clauses if c.kind != "preamble"]
    assert headings[:3] == ["1. Processing on instructions", "2. Confidentiality", "3. Sub-processors"]
    assert "4. Personal data breaches" in headings
    assert headings[-1] == "Annex 1 — Processing description and security measures"
    assert clauses[0].kind == "preamble"


def test_the_sample_dpa_covers_the_required_clauses():
    text = sample_dpa.body("current", "Routewise B.V.")
    titles = {c.title for c in split_clauses(text)}
    for title in (
        "Processing on instructions",
        "Confidentiality",
        "Sub-processors",
        "Personal data breaches",
        "Data-subject requests",
        "Deletion after termination",
        "Audits",
        "Processing in the EEA",
    ):
        assert title in titles
    assert "10 business days" in text
    assert "48 hours" in text
    assert "30 days" in text
    assert "Technical and organisational measures" in text


def test_markdown_is_sanitised():
    html = render_markdown('Hello <script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror="y">')
    assert "<script" not in html
    assert "javascript:" not in html
    assert "onerror" not in html


def test_typed_clause_numbers_are_ignored_so_numbering_stays_consistent():
    clauses = split_clauses("Intro\n\n## 7. First\n\nText\n\n## Second\n\nMore")
    assert [c.heading for c in clauses if c.kind == "clause"] == ["1. First", "2. Second"]


def test_diff_marks_added_removed_and_changed_clauses():
    old = "## Scope\n\nWe process data.\n\n## Breaches\n\nWithin 72 hours.\n\n## Old rule\n\nGone soon."
    new = "## Scope\n\nWe process data.\n\n## Breaches\n\nWithin 48 hours.\n\n## EEA\n\nOnly in the EEA."
    changes = {c.heading: c for c in diff_clauses(old, new)}
    assert changes["1. Scope"].change == "unchanged"
    breach = changes["2. Breaches"]
    assert breach.change == "changed"
    assert "<del>72</del>" in breach.html
    assert "<ins>48</ins>" in breach.html
    assert changes["3. EEA"].change == "added"
    assert changes["3. Old rule"].change == "removed"
    assert "<del>Gone soon.</del>" in changes["3. Old rule"].html


def test_diff_escapes_text():
    changes = diff_clauses("## A\n\nx", "## A\n\n<b>bold</b>")
    assert "&lt;b&gt;" in changes[0].html
    assert "<b>" not in changes[0].html


def test_a_clause_that_only_moved_is_renumbered_not_changed():
    old = "## Scope\n\nText.\n\n## Audits\n\nOnce a year."
    new = "## Scope\n\nText.\n\n## Breaches\n\n48 hours.\n\n## Audits\n\nOnce a year."
    changes = {c.new.title: c for c in diff_clauses(old, new) if c.new}
    assert changes["Audits"].change == "renumbered"
    assert changes["Audits"].heading == "3. Audits (was 2. Audits)"
    assert changes["Breaches"].change == "added"


def test_a_rewritten_sub_clause_is_shown_old_and_new_whole():
    old = "## Scope\n\n1. Alpha beta gamma delta.\n"
    new = "## Scope\n\n1. Completely different wording here now.\n"
    html = diff_clauses(old, new)[0].html
    assert "<del>1. Alpha beta gamma delta.</del>" in html
    assert "<ins>1. Completely different wording here now.</ins>" in html
