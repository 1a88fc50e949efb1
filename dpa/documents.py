"""The DPA text: Markdown split into numbered clauses and annexes, rendered to safe HTML, and diffed.

Shared by the online page, the PDF and the diff page, so that clause numbers are the same everywhere.
"""

import difflib
import re
from dataclasses import dataclass, field

import markdown
import nh3
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import slugify

ALLOWED_TAGS = {"p", "ol", "ul", "li", "strong", "em", "a", "h3", "h4", "table", "thead", "tbody", "tr", "th", "td"}
ALLOWED_TAGS |= {"br", "blockquote", "code"}
_HEADING = re.compile(r"^##(?!#)\s+(.+?)\s*$", re.MULTILINE)
_LEADING_NUMBER = re.compile(r"^\d+(\.\d+)*\.?\s+")


@dataclass
class Clause:
    kind: str  # "preamble", "clause" or "annex"
    title: str
    source: str
    number: int | None = None
    html: SafeString = field(default_factory=lambda: mark_safe(""))  # noqa: S308 - empty string

    @property
    def anchor(self) -> str:
        if self.kind == "clause":
            return f"clause-{self.number}"
        return slugify(self.title) or self.kind

    @property
    def heading(self) -> str:
        return f"{self.number}. {self.title}" if self.number else self.title

    @property
    def key(self) -> str:
        """What matches a clause across versions: its title, not its number (numbers shift when clauses move)."""
        return f"{self.kind}:{slugify(self.title)}"


def render_markdown(text: str) -> SafeString:
    html = markdown.markdown(text, extensions=["tables", "sane_lists"], output_format="html")
    clean = nh3.clean(html, tags=ALLOWED_TAGS, attributes={"a": {"href"}, "th": {"scope"}}, link_rel="noopener")
    return mark_safe(clean)  # noqa: S308 - sanitised by nh3 above


def split_clauses(body: str) -> list[Clause]:
    """`## Heading` starts a clause; headings starting with "Annex" are annexes and not numbered."""
    parts = _HEADING.split(body.replace("\r\n", "\n"))
    clauses: list[Clause] = []
    preamble = parts[0].strip()
    if preamble:
        clauses.append(Clause(kind="preamble", title="Preamble", source=preamble))
    number = 0
    for i in range(1, len(parts), 2):
        title = _LEADING_NUMBER.sub("", parts[i]).strip()
        source = parts[i + 1].strip()
        if title.lower().startswith("annex"):
            clauses.append(Clause(kind="annex", title=title, source=source))
        else:
            number += 1
            clauses.append(Clause(kind="clause", title=title, source=source, number=number))
    for clause in clauses:
        clause.html = render_markdown(clause.source)
    return clauses


def clause_titles(body: str) -> list[str]:
    return [c.heading for c in split_clauses(body) if c.kind != "preamble"]


@dataclass
class ClauseDiff:
    change: str  # "added", "removed", "changed", "unchanged"
    old: Clause | None
    new: Clause | None
    html: SafeString

    @property
    def heading(self) -> str:
        clause = self.new or self.old
        if self.change == "changed" and self.old.heading != self.new.heading:
            return f"{self.new.heading} (was {self.old.heading})"
        return clause.heading


_TOKEN = re.compile(r"\s+|\w+|[^\w\s]")


def _word_diff(old: str, new: str) -> SafeString:
    a, b = _TOKEN.findall(old), _TOKEN.findall(new)
    out = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(escape("".join(a[i1:i2])))
            continue
        if op in ("delete", "replace"):
            out.append(f"<del>{escape(''.join(a[i1:i2]))}</del>")
        if op in ("insert", "replace"):
            out.append(f"<ins>{escape(''.join(b[j1:j2]))}</ins>")
    return mark_safe("".join(out))  # noqa: S308 - every piece of text is escaped above


def diff_clauses(old_body: str, new_body: str) -> list[ClauseDiff]:
    """Clause-level diff in the new version's order; removed clauses appear where they stood in the old one."""
    old, new = split_clauses(old_body), split_clauses(new_body)
    old_by_key = {c.key: c for c in old}
    new_keys = {c.key for c in new}
    result: list[ClauseDiff] = []
    pending_removed = [c for c in old if c.key not in new_keys]
    for clause in new:
        # Removed clauses that stood before this one in the old text are shown first.
        before = old_by_key.get(clause.key)
        if before is not None:
            while pending_removed and old.index(pending_removed[0]) < old.index(before):
                gone = pending_removed.pop(0)
                result.append(ClauseDiff("removed", gone, None, mark_safe(f"<del>{escape(gone.source)}</del>")))  # noqa: S308
        if before is None:
            result.append(ClauseDiff("added", None, clause, mark_safe(f"<ins>{escape(clause.source)}</ins>")))  # noqa: S308
        elif before.source == clause.source and before.heading == clause.heading:
            result.append(ClauseDiff("unchanged", before, clause, mark_safe(escape(clause.source))))  # noqa: S308
        else:
            result.append(ClauseDiff("changed", before, clause, _word_diff(before.source, clause.source)))
    for gone in pending_removed:
        result.append(ClauseDiff("removed", gone, None, mark_safe(f"<del>{escape(gone.source)}</del>")))  # noqa: S308
    return result
