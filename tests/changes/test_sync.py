"""manage.py subprocessors_sync: a YAML or CSV file against the list; --apply drafts the changes through the
console's services."""

import datetime as dt
import io
import json

import pytest
import time_machine
from django.core.management import call_command

from portal.audit.models import AuditEvent
from subprocessors.changes.events import change_snapshot
from subprocessors.changes.models import SubprocessorChange
from subprocessors.changes.services import CHANGE_OPEN_EXISTS
from subprocessors.changes.sync.drafts import ACTOR_NOT_LEGAL, ACTOR_REQUIRED, REASON_REQUIRED
from subprocessors.changes.sync.plan import BOOLEAN_INVALID, REPLACES_NOT_ACTIVE, SLUG_TWICE
from subprocessors.changes.windows import earliest_effective_date
from subprocessors.listing.exports import list_csv
from subprocessors.listing.models import Subprocessor
from subprocessors.listing.services import subprocessor_update
from tests.changes.factories import make_change, proposed
from tests.listing.factories import make_subprocessor

pytestmark = pytest.mark.django_db
MONDAY_14_DEC = dt.datetime(2026, 12, 14, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def the_list(db):
    """Three active rows: mistral-ai, old-cdn, stripe."""
    return {
        "mistral-ai": make_subprocessor(),
        "old-cdn": make_subprocessor(
            slug="old-cdn", name="OldCDN", legal_entity="OldCDN Inc.", category="customer_data", purpose="CDN"
        ),
        "stripe": make_subprocessor(
            slug="stripe", name="Stripe", legal_entity="Stripe Inc.", category="controller_data", purpose="Payments"
        ),
    }


def entry(slug, **fields) -> str:
    lines = [f"- slug: {slug}"] + [f"  {name}: {value}" for name, value in fields.items()]
    return "\n".join(lines) + "\n"


MISTRAL = entry("mistral-ai", name="Mistral AI", legal_entity="Mistral AI SAS", category="ai_provider")
OLD_CDN = entry("old-cdn", name="OldCDN", category="customer_data", purpose="CDN")
STRIPE = entry("stripe", name="Stripe", category="controller_data", purpose="Payments")
NORDLICHT = entry(
    "nordlicht-ai",
    name="Nordlicht AI",
    legal_entity="Nordlicht AI GmbH",
    category="ai_provider",
    purpose="AI model processing",
    hq_country="de",
    processing_region="DE",
    eea_only="yes",
)
FASTCDN = entry(
    "fastcdn",
    name="FastCDN",
    legal_entity="FastCDN AS",
    category="customer_data",
    purpose="CDN",
    hq_country="NO",  # Norway, not YAML 1.1's false
    processing_region="EU",
    replaces="old-cdn",
)
# Against the_list: one of each difference (stripe's purpose changes, old-cdn is replaced, mistral-ai removed).
ALL_KINDS = NORDLICHT + FASTCDN + entry("stripe", purpose='"Payments and invoicing"')


def run(tmp_path, content: str, *args, name="list.yaml") -> tuple[int, str, str]:
    path = tmp_path / name
    path.write_text(content)
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("subprocessors_sync", str(path), *args, stdout=out, stderr=err)
    except SystemExit as exc:
        code = exc.code
    else:
        code = 0
    return code, out.getvalue(), err.getvalue()


def counts() -> tuple[int, int, int]:
    return Subprocessor.objects.count(), SubprocessorChange.objects.count(), AuditEvent.objects.count()


def test_a_file_of_the_current_list_has_no_differences(tmp_path, the_list):
    code, out, _ = run(tmp_path, MISTRAL + OLD_CDN + STRIPE)
    assert code == 0
    assert "3 rows against 3 active on the list: no differences." in out


def test_yaml_dry_run_shows_each_kind_of_difference_and_changes_nothing(tmp_path, the_list):
    # given
    before = counts()
    # when
    code, out, err = run(tmp_path, ALL_KINDS)
    # then
    assert code == 1
    assert err == ""
    assert "1 addition, 1 replacement, 1 modification, 1 removal." in out
    assert "+ add      nordlicht-ai" in out
    assert "hq_country: Germany" not in out  # values are shown as the notice shows them
    assert "hq_country: DE" in out
    assert "» replace  fastcdn                  FastCDN replaces OldCDN (old-cdn)" in out
    assert "~ modify   stripe" in out
    assert "purpose: Payments → Payments and invoicing" in out
    assert "- remove   mistral-ai" in out
    assert "Dry run: nothing was changed." in out
    assert counts() == before


def test_csv_export_of_the_list_is_accepted_and_a_changed_cell_is_a_modification(tmp_path, the_list):
    # given: the public CSV export of active and retired rows (BOM, status and date columns, formula-guarded cells)
    Subprocessor.objects.filter(slug="stripe").update(purpose="=Payments")
    subprocessor_update(subprocessor=the_list["old-cdn"], data={"status": "retired"}, actor=None)
    export = list_csv(filters={"status": "all"}).decode()
    assert "'=Payments" in export
    assert ",retired," in export
    # when / then: as exported, nothing differs
    assert run(tmp_path, export, name="export.csv")[0] == 0
    # when: one cell edited
    code, out, _ = run(tmp_path, export.replace("Mistral AI SAS", "Mistral AI SA"), name="export.csv")
    # then
    assert code == 1
    assert "1 modification." in out
    assert "legal_entity: Mistral AI SAS → Mistral AI SA" in out


def test_csv_rows_marked_retired_are_removals(tmp_path, the_list):
    content = (
        "slug,name,status,reason\nmistral-ai,Mistral AI,,\nold-cdn,OldCDN,retired,Contract ended\nstripe,Stripe,,\n"
    )
    code, out, _ = run(tmp_path, content, "--json", name="list.csv")
    assert code == 1
    result = json.loads(out)
    assert result["counts"] == {"add": 0, "replace": 0, "modify": 0, "remove": 1}
    (removal,) = result["differences"]
    assert (removal["kind"], removal["slug"], removal["line"]) == ("remove", "old-cdn", 3)


def test_json_output_describes_every_difference(tmp_path, the_list):
    code, out, _ = run(tmp_path, ALL_KINDS, "--json")
    assert code == 1
    result = json.loads(out)
    assert result["applied"] is False
    assert result["counts"] == {"add": 1, "replace": 1, "modify": 1, "remove": 1}
    by_slug = {d["slug"]: d for d in result["differences"]}
    assert by_slug["nordlicht-ai"]["data"]["hq_country"] == "DE"
    assert by_slug["nordlicht-ai"]["data"]["eea_only"] is True
    assert by_slug["fastcdn"]["replaces"] == "old-cdn"
    assert by_slug["fastcdn"]["data"]["hq_country"] == "NO"
    assert by_slug["stripe"]["changes"] == [
        {"field": "purpose", "before": "Payments", "after": "Payments and invoicing"}
    ]
    assert by_slug["mistral-ai"]["line"] is None


def test_invalid_rows_list_every_problem_and_nothing_is_written(tmp_path, the_list, legal):
    # given: five problems on four rows
    content = (
        "subprocessors:\n"
        + entry(
            "nordlicht-ai",
            name="Nordlicht AI",
            category="ai_provider",
            purpose="AI",
            hq_country="XX",
            processing_region="DE",
        )
        + entry(
            "no-name", category="ai_provider", purpose="AI", hq_country="DE", processing_region="DE", eea_only="maybe"
        )
        + entry("stripe", colour="blue")
        + entry("stripe", purpose="Payments")
        + entry(
            "fastcdn",
            name="FastCDN",
            category="customer_data",
            purpose="CDN",
            hq_country="NO",
            processing_region="EU",
            replaces="gone-cdn",
        )
    )
    before = counts()
    # when
    code, out, err = run(tmp_path, content, "--apply", "--actor", legal.email, "--reason", "Sync")
    # then
    assert code == 2
    path = tmp_path / "list.yaml"
    lines = err.splitlines()
    assert f"{path}:6: hq_country: “XX” is not an ISO 3166-1 alpha-2 country code (e.g. NL, FR, US)." in lines
    assert f"{path}:8: name: This field is required." in lines
    assert f"{path}:13: eea_only: " + BOOLEAN_INVALID.format(value="maybe") in lines
    assert any(line.startswith(f"{path}:14: fields: unknown field(s) colour;") for line in lines)
    assert f"{path}:16: slug: " + SLUG_TWICE.format(slug="stripe", line=14) in lines
    assert f"{path}:24: replaces: " + REPLACES_NOT_ACTIVE.format(slug="gone-cdn") in lines
    assert len(lines) == 6
    assert out == ""
    assert counts() == before


def test_invalid_input_in_json_and_from_standard_input(monkeypatch, the_list):
    # given
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"slug,name\nstripe,\n")))
    out, err = io.StringIO(), io.StringIO()
    # when
    with pytest.raises(SystemExit) as exit_:
        call_command("subprocessors_sync", "-", "--format", "csv", "--json", stdout=out, stderr=err)
    # then
    assert exit_.value.code == 2
    assert json.loads(out.getvalue())["problems"] == [
        {"line": 2, "slug": "stripe", "field": "name", "message": "This field is required."}
    ]
    assert err.getvalue() == "-:2: name: This field is required.\n"


def test_csv_unknown_columns_are_named(tmp_path, the_list):
    code, _, err = run(tmp_path, "slug,name,vendor_id,Colour\nstripe,Stripe,1,red\n", name="list.csv")
    assert code == 2
    assert "list.csv:1: fields: unknown field(s) colour, vendor_id; the known ones are: slug, name," in err


@pytest.mark.parametrize(
    ("content", "name", "args", "message"),
    [
        ("", "list.yaml", [], "the file lists no sub-processors"),
        ("slug: stripe\n", "list.yaml", [], "expected a list of sub-processors"),
        ("- slug: [stripe\n", "list.yaml", [], "list.yaml:2: yaml:"),
        ("- slug: stripe\n", "list.txt", [], "use --format yaml or --format csv"),
        ("slug\nstripe,x\n", "list.txt", ["--format", "csv"], "list.txt:2: row: 2 cells for 1 columns."),
    ],
)
def test_unusable_files_are_invalid_input(tmp_path, the_list, content, name, args, message):
    code, _, err = run(tmp_path, content, *args, name=name)
    assert code == 2
    assert message in err


def test_apply_drafts_each_change_with_audit_events_and_announces_nothing(tmp_path, the_list, legal):
    # given
    events_before = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    # when
    with time_machine.travel(MONDAY_14_DEC, tick=False):
        code, out, err = run(tmp_path, ALL_KINDS, "--apply", "--actor", legal.email, "--reason", "Annual review")
    # then
    assert (code, err) == (0, "")
    changes = {c.subprocessor.slug: c for c in SubprocessorChange.objects.select_related("subprocessor", "replaces")}
    assert {slug: c.kind for slug, c in changes.items()} == {
        "nordlicht-ai": "add",
        "fastcdn": "replace",
        "stripe": "modify",
        "mistral-ai": "remove",
    }
    assert {c.status for c in changes.values()} == {"draft"}
    assert {c.created_by for c in changes.values()} == {legal}
    assert changes["fastcdn"].replaces.slug == "old-cdn"
    assert changes["stripe"].modification == "Purpose: Payments → Payments and invoicing"
    assert changes["nordlicht-ai"].reason == "Annual review"
    assert changes["nordlicht-ai"].effective_date == earliest_effective_date("add", MONDAY_14_DEC)
    assert changes["mistral-ai"].effective_date == dt.date(2026, 12, 14)  # may take effect at once
    new = Subprocessor.objects.get(slug="nordlicht-ai")
    assert (new.status, new.hq_country, new.eea_only) == ("proposed", "DE", True)
    assert Subprocessor.objects.get(slug="fastcdn").hq_country == "NO"
    assert Subprocessor.objects.get(slug="stripe").purpose == "Payments"  # the list changes when a change does
    # the audit log, as the console writes it
    events = AuditEvent.objects.filter(pk__gt=events_before).order_by("id")
    assert sorted(e.action for e in events) == ["subprocessor.created"] * 2 + ["subprocessor_change.created"] * 4
    assert {(e.actor_id, e.actor_label) for e in events} == {(legal.pk, legal.email)}
    for change in changes.values():
        created = events.get(action="subprocessor_change.created", target_id=str(change.pk))
        assert created.details == {"after": change_snapshot(change)}
    assert "subprocessor_change.announced" not in {e.action for e in AuditEvent.objects.all()}
    for change in changes.values():
        assert f"Drafted: {change.kind} {change.subprocessor.slug}" in out
        assert f"http://testserver/staff/subprocessor-changes/{change.public_id}/" in out
    assert "Nothing was announced" in out


def test_a_second_apply_drafts_nothing_again(tmp_path, the_list, legal):
    # given
    args = ("--apply", "--actor", legal.email, "--reason", "Annual review")
    assert run(tmp_path, ALL_KINDS, *args)[0] == 0
    before = counts()
    # when
    code, out, _ = run(tmp_path, ALL_KINDS, *args, "--json")
    # then
    assert code == 0
    assert counts() == before
    assert [d["result"] for d in json.loads(out)["drafts"]] == ["already drafted"] * 4
    # and a dry run still shows the differences, each with its open change
    code, out, _ = run(tmp_path, ALL_KINDS)
    assert code == 1
    assert out.count("open change: ") == 4


def test_a_drafted_addition_takes_the_files_new_values(tmp_path, the_list, legal):
    # given: drafted once
    args = ("--apply", "--actor", legal.email, "--reason", "EU models")
    assert run(tmp_path, MISTRAL + OLD_CDN + STRIPE + NORDLICHT, *args)[0] == 0
    # when: the file now says something else about it
    code, out, _ = run(
        tmp_path, MISTRAL + OLD_CDN + STRIPE + NORDLICHT.replace("hq_country: de", "hq_country: at"), *args
    )
    # then: the same draft, its proposed row updated (and audited)
    assert code == 0
    assert "Already drafted, entry updated: add nordlicht-ai" in out
    assert SubprocessorChange.objects.count() == 1
    assert Subprocessor.objects.get(slug="nordlicht-ai").hq_country == "AT"
    event = AuditEvent.objects.get(action="subprocessor.changed")
    assert (event.actor, event.details["after"]) == (legal, {"hq_country": "AT"})


def test_an_announced_change_counts_as_drafted(tmp_path, the_list, legal):
    make_change(kind="remove", subprocessor=the_list["mistral-ai"], status="announced")
    code, out, _ = run(tmp_path, OLD_CDN + STRIPE, "--apply", "--actor", legal.email)
    assert code == 0
    assert "Already announced: remove mistral-ai" in out
    assert SubprocessorChange.objects.count() == 1


def test_an_existing_proposed_row_is_brought_in_line_and_drafted(tmp_path, the_list, legal):
    # given: a proposed row made in the console earlier, without a change
    proposed(slug="nordlicht-ai", name="Nordlicht", hq_country="AT")
    # when
    code, out, _ = run(
        tmp_path, MISTRAL + OLD_CDN + STRIPE + NORDLICHT, "--apply", "--actor", legal.email, "--reason", "EU models"
    )
    # then
    assert code == 0
    row = Subprocessor.objects.get(slug="nordlicht-ai")
    assert (row.name, row.hq_country, row.status) == ("Nordlicht AI", "DE", "proposed")
    assert SubprocessorChange.objects.get().subprocessor == row
    assert AuditEvent.objects.filter(action="subprocessor.changed", actor=legal).count() == 1


def test_apply_refused_by_a_rule_writes_nothing(tmp_path, the_list, legal):
    # given: stripe has an open removal; the file modifies it (and adds one)
    make_change(kind="remove", subprocessor=the_list["stripe"])
    before = counts()
    # when
    code, out, err = run(tmp_path, ALL_KINDS, "--apply", "--actor", legal.email, "--reason", "Review")
    # then
    assert code == 3
    assert err.strip() == (f"{tmp_path / 'list.yaml'}:17: subprocessor: " + CHANGE_OPEN_EXISTS.format(name="Stripe"))
    assert counts() == before


def test_apply_needs_a_reason(tmp_path, the_list, legal):
    code, _, err = run(tmp_path, ALL_KINDS, "--apply", "--actor", legal.email)
    assert code == 2
    assert f"mistral-ai: reason: {REASON_REQUIRED}" in err
    assert err.count(REASON_REQUIRED) == 4
    assert not SubprocessorChange.objects.exists()


@pytest.mark.parametrize("who", ["nobody", "member", "legal_without_permission"])
def test_apply_needs_a_legal_actor(tmp_path, the_list, member, legal, who):
    # given
    if who == "legal_without_permission":
        legal.groups.get().permissions.remove(*legal.groups.get().permissions.filter(codename="add_subprocessorchange"))
    args = {"nobody": [], "member": ["--actor", member.email], "legal_without_permission": ["--actor", legal.email]}
    before = counts()
    # when
    code, _, err = run(tmp_path, ALL_KINDS, "--apply", "--reason", "Review", *args[who])
    # then
    assert code == 2
    expected = {
        "nobody": f"{tmp_path / 'list.yaml'}: actor: {ACTOR_REQUIRED}",
        "member": ACTOR_NOT_LEGAL.format(email=member.email),
        "legal_without_permission": "lacks the permission `changes.add_subprocessorchange`",
    }[who]
    assert expected in err
    assert counts() == before


def test_a_retired_entry_listed_again_is_an_addition_of_that_entry(tmp_path, the_list, legal):
    # given: old-cdn was retired; the file lists it as active
    subprocessor_update(subprocessor=the_list["old-cdn"], data={"status": "retired"}, actor=None)
    # when
    code, out, _ = run(
        tmp_path,
        MISTRAL + OLD_CDN + STRIPE,
        "--apply",
        "--actor",
        legal.email,
        "--reason",
        "Back again",
        "--effective-date",
        "2027-02-01",
    )
    # then: the same row, proposed again, with an addition drafted for the date given
    assert code == 0
    assert "Drafted: add old-cdn, effective 2027-02-01" in out
    change = SubprocessorChange.objects.get()
    assert (change.kind, change.subprocessor, change.effective_date) == (
        "add",
        the_list["old-cdn"],
        dt.date(2027, 2, 1),
    )
    the_list["old-cdn"].refresh_from_db()
    assert (the_list["old-cdn"].status, the_list["old-cdn"].retired_on) == ("proposed", None)
