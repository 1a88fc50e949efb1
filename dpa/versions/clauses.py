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
    html: SafeString = field(default_factory=lambda: mark_safe(""))  # noqa: S308 - empty string  # nosec

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
    return mark_safe(clean)  # noqa: S308 - sanitised by nh3 above  # nosec


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


@dataclass
class ClauseDiff:
    change: str  # "added", "removed", "changed", "renumbered" (same text, new number), "unchanged"
    old: Clause | None
    new: Clause | None
    html: SafeString

    @property
    def heading(self) -> str:
        clause = self.new or self.old
        assert clause is not None  # a diff has an old side, a new side or both
        if self.old is not None and self.new is not None and self.old.heading != self.new.heading:
            return f"{self.new.heading} (was {self.old.heading})"
        return clause.heading


_TOKEN = re.compile(r"\s+|\w+|[^\w\s]")
_ITEM = re.compile(r"^\s*(?:\d+\.|[-*+])\s+")


def _blocks(source: str) -> list[str]:
    """Paragraphs and list items of a clause as plain one-line texts (emphasis markers dropped)."""
    blocks: list[list[str]] = []
    current: list[str] = []
    for line in source.splitlines():
        if not line.strip() or (_ITEM.match(line) and current):
            if current:
                blocks.append(current)
            current = [line.strip()] if line.strip() else []
            continue
        current.append(line.strip())
    if current:
        blocks.append(current)
    return [" ".join(b).replace("**", "") for b in blocks]


def _word_diff(old: str, new: str) -> str:
    a, b = _TOKEN.findall(old), _TOKEN.findall(new)
    out: list[str] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(escape("".join(a[i1:i2])))
            continue
        if op in ("delete", "replace"):
            out.append(f"<del>{escape(''.join(a[i1:i2]))}</del>")
        if op in ("insert", "replace"):
            out.append(f"<ins>{escape(''.join(b[j1:j2]))}</ins>")
    return "".join(out)


def _block_diff(old: str, new: str) -> SafeString:
    """Align paragraphs and list items first, then mark changed words inside the ones that were edited."""
    a, b = _blocks(old), _blocks(new)
    out: list[str] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op == "equal":
            out.extend(escape(text) for text in a[i1:i2])
        elif op == "delete":
            out.extend(f"<del>{escape(text)}</del>" for text in a[i1:i2])
        elif op == "insert":
            out.extend(f"<ins>{escape(text)}</ins>" for text in b[j1:j2])
        else:
            olds, news = a[i1:i2], b[j1:j2]
            for k in range(max(len(olds), len(news))):
                similar = k < len(olds) and k < len(news)
                if similar and difflib.SequenceMatcher(a=olds[k], b=news[k], autojunk=False).ratio() >= 0.5:
                    out.append(_word_diff(olds[k], news[k]))
                elif similar:  # rewritten rather than edited: show old and new whole, not a word salad
                    out.append(f"<del>{escape(olds[k])}</del>")
                    out.append(f"<ins>{escape(news[k])}</ins>")
                elif k < len(olds):
                    out.append(f"<del>{escape(olds[k])}</del>")
                else:
                    out.append(f"<ins>{escape(news[k])}</ins>")
    return mark_safe("".join(f"<p>{block}</p>" for block in out))  # noqa: S308 - every text is escaped above  # nosec


def _whole(source: str, tag: str = "") -> SafeString:
    blocks: list[str] = [escape(text) for text in _blocks(source)]
    if tag:
        blocks = [f"<{tag}>{text}</{tag}>" for text in blocks]
    return mark_safe("".join(f"<p>{text}</p>" for text in blocks))  # noqa: S308 - escaped above  # nosec


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
                result.append(ClauseDiff("removed", gone, None, _whole(gone.source, "del")))
        if before is None:
            result.append(ClauseDiff("added", None, clause, _whole(clause.source, "ins")))
        elif before.source == clause.source:
            change = "unchanged" if before.heading == clause.heading else "renumbered"
            result.append(ClauseDiff(change, before, clause, _whole(clause.source)))
        else:
            result.append(ClauseDiff("changed", before, clause, _block_diff(before.source, clause.source)))
    for gone in pending_removed:
        result.append(ClauseDiff("removed", gone, None, _whole(gone.source, "del")))
    return result
