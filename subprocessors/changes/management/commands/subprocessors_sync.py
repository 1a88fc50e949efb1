import datetime as dt
import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandParser

from subprocessors.changes.sync.drafts import SyncRefused, sync_actor, sync_apply
from subprocessors.changes.sync.files import (
    FORMATS,
    KNOWN_FIELDS,
    Problem,
    SyncInvalid,
    decode,
    format_for,
    read_rows,
)
from subprocessors.changes.sync.plan import Plan, console_url, display, sync_plan

# Exit codes (README: "subprocessors_sync").
SAME = 0  # no differences; or --apply drafted what was needed
DIFFERENT = 1  # differences found (without --apply)
INVALID = 2  # the file, an option or --actor is not usable; nothing was changed
REFUSED = 3  # --apply: a rule refused a draft (e.g. another change is open); nothing was changed

NOUNS = {
    "add": ("addition", "additions"),
    "replace": ("replacement", "replacements"),
    "modify": ("modification", "modifications"),
    "remove": ("removal", "removals"),
}
MARKS = {"add": "+", "replace": "»", "modify": "~", "remove": "-"}


class Command(BaseCommand):
    help = (
        "Compare a YAML or CSV file of sub-processors (the public API's fields: "
        + ", ".join(KNOWN_FIELDS)
        + ") with the list and show the differences. With --apply, draft the changes that follow (additions, "
        "replacements, removals, modifications) in the name of --actor; nothing is announced. Exit status: 0 no "
        "differences (or --apply done), 1 differences, 2 invalid input (nothing changed), 3 --apply refused by a "
        "rule (nothing changed)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="YAML (.yaml, .yml, .json) or CSV (.csv) file; - reads standard input.")
        parser.add_argument("--format", choices=FORMATS, help="Override the format the file name suggests.")
        parser.add_argument("--json", action="store_true", help="Machine-readable output on standard output.")
        parser.add_argument("--apply", action="store_true", help="Draft the changes (none is announced).")
        parser.add_argument("--actor", help="Email of the legal staff member the drafts are made for (--apply).")
        parser.add_argument("--reason", default="", help="Reason customers will read, for rows without a `reason`.")
        parser.add_argument(
            "--effective-date",
            type=dt.date.fromisoformat,
            help="Planned date (YYYY-MM-DD) of the drafts; default: the earliest their kind allows.",
        )

    def handle(self, *args, **options) -> None:
        source = options["file"]
        try:
            fmt = format_for(source, options["format"])
            data = sys.stdin.buffer.read() if source == "-" else self._read(source)
            plan = sync_plan(rows=read_rows(decode(data), fmt=fmt))
            outcomes = None
            if options["apply"]:
                actor = sync_actor(options["actor"])
                outcomes = sync_apply(
                    plan=plan, actor=actor, reason=options["reason"], effective_date=options["effective_date"]
                )
        except (SyncInvalid, SyncRefused) as exc:
            self._problems(source, exc.problems, as_json=options["json"])
            raise SystemExit(INVALID if isinstance(exc, SyncInvalid) else REFUSED) from None
        if options["json"]:
            self.stdout.write(json.dumps(self._json(source, fmt, plan, outcomes), indent=2, default=str))
        else:
            self._text(source, plan, outcomes)
        if outcomes is None and plan.differences:
            raise SystemExit(DIFFERENT)

    def _read(self, source: str) -> bytes:
        try:
            return Path(source).read_bytes()
        except OSError as exc:
            raise SyncInvalid([Problem(None, "file", exc.strerror or str(exc))]) from None

    def _problems(self, source, problems, *, as_json: bool) -> None:
        for problem in problems:
            self.stderr.write(problem.format(source))
        if as_json:
            self.stdout.write(json.dumps({"source": source, "problems": [p.as_dict() for p in problems]}, indent=2))

    def _json(self, source: str, fmt: str, plan: Plan, outcomes) -> dict:
        return {
            "source": source,
            "format": fmt,
            "rows": plan.rows,
            "listed": plan.listed,
            "counts": plan.counts(),
            "differences": [d.as_dict() for d in plan.differences],
            "applied": outcomes is not None,
            "drafts": [o.as_dict() for o in outcomes or []],
        }

    def _text(self, source: str, plan: Plan, outcomes) -> None:
        counts = plan.counts()
        found = [f"{n} {NOUNS[kind][n != 1]}" for kind, n in counts.items() if n]
        summary = ", ".join(found) if found else "no differences"
        self.stdout.write(f"{source}: {plan.rows} rows against {plan.listed} active on the list: {summary}.")
        for d in plan.differences:
            where = f"  (line {d.line})" if d.line else ""
            title = f"{d.name} replaces {d.replaces.name} ({d.replaces.slug})" if d.replaces else d.name
            self.stdout.write(f"{MARKS[d.kind]} {d.kind:<8} {d.slug:<24} {title}{where}")
            if d.kind in ("add", "replace") and d.subprocessor is None:
                for name, value in d.data.items():
                    if name != "slug" and value not in ("", False):
                        self.stdout.write(f"      {name}: {display(name, value)}")
            for change in d.changes:
                self.stdout.write(f"      {change.field}: {change.arrow()}")
            if d.pending is not None and outcomes is None:
                p = d.pending
                self.stdout.write(f"      open change: {p.get_kind_display()} ({p.status}) {console_url(p)}")
        if outcomes is None:
            if plan.differences:
                self.stdout.write("Dry run: nothing was changed. Run with --apply --actor EMAIL to draft the changes.")
            return
        for outcome in outcomes:
            d = outcome.difference
            self.stdout.write(
                f"{outcome.result.capitalize()}: {d.kind} {d.slug}, effective {outcome.change.effective_date} "
                f"({outcome.change.status}) {console_url(outcome.change)}"
            )
        if outcomes:
            self.stdout.write("Nothing was announced: review each draft in the console and announce it there.")
