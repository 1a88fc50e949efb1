"""What a sync file asks for, against the list (its active rows): additions, replacements, modifications, removals.

Every row meant to be on the list is checked with the console's form for the proposed row of a new change
(NewSubprocessorForm: the same field rules and messages). Every problem of every row is collected before
anything is reported; none is written."""

import copy
from dataclasses import dataclass, field

from django.conf import settings
from django.db import models
from django.urls import reverse

from subprocessors.changes.forms import NewSubprocessorForm
from subprocessors.changes.models import SubprocessorChange
from subprocessors.changes.selectors import open_changes
from subprocessors.changes.sync.files import Problem, Row, SyncInvalid
from subprocessors.listing.models import DESCRIPTION_FIELDS, Subprocessor

Kind = SubprocessorChange.Kind
ACTIVE = Subprocessor.Status.ACTIVE
KIND_ORDER = (Kind.ADD, Kind.REPLACE, Kind.MODIFY, Kind.REMOVE)
BOOLEAN_FIELDS = frozenset(f.name for f in Subprocessor._meta.fields if isinstance(f, models.BooleanField))
_TRUE = frozenset({"true", "yes", "y", "1", "on", "x"})
_FALSE = frozenset({"false", "no", "n", "0", "off", ""})
# A row's `status` (a column of the public export): only active rows belong on the list.
STATUSES = tuple(Subprocessor.Status.values)

BOOLEAN_INVALID = "“{value}” is not a yes/no value (true/false, yes/no, 1/0)."
STATUS_INVALID = "“{value}” is not one of active, retired, proposed (rows that are not active are left off the list)."
SLUG_REQUIRED = "This field is required."
SLUG_TWICE = "“{slug}” is listed twice (also on line {line})."
REPLACES_SELF = "a sub-processor cannot replace itself."
REPLACES_NOT_ACTIVE = "“{slug}” is not an active sub-processor: there is nothing to replace."
REPLACES_STILL_LISTED = (
    "“{slug}” is still listed as active on line {line}: leave it out of the file (or mark it retired) when it is "
    "replaced."
)
REPLACES_TWICE = "“{slug}” is already replaced by the row on line {line}."
EMPTY_FILE = "the file lists no sub-processors. An empty file would remove every one, so it is refused."


def _field(name: str) -> models.Field:
    model_field = Subprocessor._meta.get_field(name)
    assert isinstance(model_field, models.Field)  # a column of the list, not a reverse relation
    return model_field


def display(name: str, value) -> str:
    """A value as the change notice shows it."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    model_field = _field(name)
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    return str(value)


def console_url(change: SubprocessorChange) -> str:
    return settings.SITE_URL + reverse("changes:staff_detail", args=[change.public_id])


@dataclass(frozen=True)
class FieldChange:
    field: str
    before: object
    after: object

    @property
    def label(self) -> str:
        name = str(_field(self.field).verbose_name)
        return name[:1].upper() + name[1:]

    def arrow(self) -> str:
        return f"{display(self.field, self.before)} → {display(self.field, self.after)}"

    def text(self) -> str:
        return f"{self.label}: {self.arrow()}"

    def as_dict(self) -> dict:
        return {"field": self.field, "before": self.before, "after": self.after}


@dataclass
class Difference:
    kind: str
    slug: str
    name: str
    line: int | None = None
    # Additions and replacements: every field of the row as validated (what the proposed row is created with).
    data: dict = field(default_factory=dict)
    # Modifications: the list's values → the file's. Additions of a row that exists (proposed, or retired): that
    # row's values → the file's.
    changes: list[FieldChange] = field(default_factory=list)
    subprocessor: Subprocessor | None = None
    replaces: Subprocessor | None = None
    reason: str = ""
    # The sub-processor's open change (drafted, announced or held), of any kind.
    pending: SubprocessorChange | None = None

    @property
    def modification(self) -> str:
        """What a modification changes, as customers will read it in the change."""
        return "\n".join(change.text() for change in self.changes)

    @property
    def drafted(self) -> bool:
        """The open change is this difference's own (same kind, same replaced row): nothing more to draft."""
        pending = self.pending
        if pending is None or pending.kind != self.kind:
            return False
        return self.kind != Kind.REPLACE or (self.replaces is not None and pending.replaces_id == self.replaces.pk)

    def as_dict(self) -> dict:
        pending = self.pending
        return {
            "kind": self.kind,
            "slug": self.slug,
            "name": self.name,
            "line": self.line,
            "replaces": self.replaces.slug if self.replaces else None,
            "changes": [change.as_dict() for change in self.changes],
            "data": self.data,
            "pending": pending
            and {
                "id": str(pending.public_id),
                "kind": pending.kind,
                "status": pending.status,
                "effective_date": pending.effective_date.isoformat(),
                "console_url": console_url(pending),
            },
        }


@dataclass
class Plan:
    differences: list[Difference]
    rows: int  # rows in the file
    listed: int  # active rows in the list

    def counts(self) -> dict[str, int]:
        return {kind.value: sum(1 for d in self.differences if d.kind == kind) for kind in KIND_ORDER}


def sync_plan(*, rows: list[Row]) -> Plan:
    """The differences between the rows of a file and the list. Raises SyncInvalid with every problem found."""
    if not rows:
        raise SyncInvalid([Problem(None, "file", EMPTY_FILE)])
    problems: list[Problem] = []
    slugs = [(row.values.get("slug") or "").strip() for row in rows]
    active = {sp.slug: sp for sp in Subprocessor.objects.filter(status=ACTIVE)}
    others = Subprocessor.objects.filter(slug__in=[s for s in slugs if s and s not in active])
    known = {**{sp.slug: sp for sp in others}, **active}

    seen: dict[str, int] = {}
    listed: list[tuple[Row, str]] = []
    leaving: dict[str, Row] = {}
    for row, slug in zip(rows, slugs, strict=True):
        problems.extend(row.problems)
        if slug in seen:
            problems.append(Problem(row.line_of("slug"), "slug", SLUG_TWICE.format(slug=slug, line=seen[slug]), slug))
            continue
        if slug:
            seen[slug] = row.line
        status = (row.values.get("status") or "").strip().lower() or ACTIVE
        if status not in STATUSES:
            problems.append(Problem(row.line_of("status"), "status", STATUS_INVALID.format(value=status), slug))
        elif status == ACTIVE:
            listed.append((row, slug))
        elif not slug:
            problems.append(Problem(row.line_of("slug"), "slug", SLUG_REQUIRED))
        else:
            leaving[slug] = row

    listed_slugs = {slug: row.line for row, slug in listed}
    replaced: dict[str, int] = {}
    differences: list[Difference] = []
    for row, slug in listed:
        current = known.get(slug) if slug else None
        data, errors = _validated(row, slug, current)
        problems.extend(errors)
        if data is None:
            continue
        reason = (row.values.get("reason") or "").strip()
        if current is not None and current.status == ACTIVE:
            changes = _changes(current, data, [name for name in DESCRIPTION_FIELDS if name in row.values])
            if changes:
                differences.append(
                    Difference(
                        Kind.MODIFY, slug, current.name, row.line, changes=changes, subprocessor=current, reason=reason
                    )
                )
            continue  # on the list already: `replaces` is history (the replacement took effect)
        replaces = None
        old = (row.values.get("replaces") or "").strip()
        if old:
            line = row.line_of("replaces")
            if old == slug:
                problems.append(Problem(line, "replaces", REPLACES_SELF, slug))
            elif old not in active:
                problems.append(Problem(line, "replaces", REPLACES_NOT_ACTIVE.format(slug=old), slug))
            elif old in listed_slugs:
                message = REPLACES_STILL_LISTED.format(slug=old, line=listed_slugs[old])
                problems.append(Problem(line, "replaces", message, slug))
            elif old in replaced:
                problems.append(Problem(line, "replaces", REPLACES_TWICE.format(slug=old, line=replaced[old]), slug))
            else:
                replaces = active[old]
                replaced[old] = row.line
        differences.append(
            Difference(
                Kind.REPLACE if replaces else Kind.ADD,
                slug,
                data["name"],
                row.line,
                data=data,
                changes=_changes(current, data, DESCRIPTION_FIELDS) if current else [],
                subprocessor=current,
                replaces=replaces,
                reason=reason,
            )
        )

    for slug, sp in sorted(active.items()):
        if slug in listed_slugs or slug in replaced:
            continue
        marked = leaving.get(slug)  # a row saying it is retired, or none
        reason = (marked.values.get("reason") or "").strip() if marked else ""
        differences.append(
            Difference(Kind.REMOVE, slug, sp.name, marked.line if marked else None, subprocessor=sp, reason=reason)
        )
    if problems:
        raise SyncInvalid(sorted(problems, key=lambda p: p.line or 0))

    ids = [d.subprocessor.pk for d in differences if d.subprocessor is not None]
    pending = {change.subprocessor_id: change for change in open_changes(subprocessor_ids=ids)}
    for difference in differences:
        if difference.subprocessor is not None:
            difference.pending = pending.get(difference.subprocessor.pk)
    differences.sort(key=lambda d: (KIND_ORDER.index(Kind(d.kind)), d.line or 0, d.slug))
    return Plan(differences=differences, rows=len(rows), listed=len(active))


def _changes(current: Subprocessor, data: dict, names) -> list[FieldChange]:
    return [
        FieldChange(name, getattr(current, name), data[name]) for name in names if data[name] != getattr(current, name)
    ]


def _boolean(raw: str | None) -> bool | None:
    text = (raw or "").strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    return None


def _validated(row: Row, slug: str, current: Subprocessor | None) -> tuple[dict | None, list[Problem]]:
    """The row's fields as the console's form cleans them (fields the file leaves out keep the row's values, or
    the model's defaults for a new row), or None and the problems."""
    problems: list[Problem] = []
    data: dict = {"slug": slug}
    for name in DESCRIPTION_FIELDS:
        if name not in row.values:
            data[name] = getattr(current, name) if current else _field(name).get_default()
        elif name in BOOLEAN_FIELDS:
            value = _boolean(row.values[name])
            if value is None:
                problems.append(Problem(row.line_of(name), name, BOOLEAN_INVALID.format(value=row.values[name]), slug))
            data[name] = bool(value)
        else:
            data[name] = row.values[name] or ""
    form = NewSubprocessorForm(data, instance=copy.copy(current) if current else None)
    if not form.is_valid():
        for name, messages in form.errors.items():
            label = "row" if name == "__all__" else name
            problems.extend(Problem(row.line_of(name), label, str(message), slug) for message in messages)
    if problems:
        return None, problems
    return {"slug": slug, **{name: form.cleaned_data[name] for name in DESCRIPTION_FIELDS}}, []
