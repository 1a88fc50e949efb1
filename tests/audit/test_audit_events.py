"""Audit events as code: every action is declared once with a label, recorded only through an app's events.py,
and the audit log shows staff the label."""

import ast
import csv
import io
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from portal.audit.event_types import event_label, event_type, event_types
from portal.audit.models import AuditEvent
from portal.audit.services import audit_record
from portal.organisations import events as organisation_events
from tests.auth import login

ROOT = Path(__file__).resolve().parents[2]
AUDIT_APP = ROOT / "portal" / "audit"


def _sources() -> list[Path]:
    return [
        path
        for package in ("portal", "dpa", "subprocessors")
        for path in sorted((ROOT / package).rglob("*.py"))
        if "migrations" not in path.parts
    ]


def _events_modules() -> list[Path]:
    return [path for path in _sources() if path.name == "events.py"]


def _calls(path: Path, name: str) -> list[ast.Call]:
    return [
        node
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) == name
    ]


def _declared() -> list[tuple[str, str, str]]:
    """(action, label, module) of every `event_type("…", "…")` in the source tree."""
    found = []
    for path in _sources():
        for call in _calls(path, "event_type"):
            action, label = (ast.literal_eval(arg) for arg in call.args)
            found.append((action, label, str(path.relative_to(ROOT))))
    return found


def test_only_events_modules_call_audit_record():
    # given every module outside the audit app that is not an events module
    callers = [
        str(path.relative_to(ROOT))
        for path in _sources()
        if not path.is_relative_to(AUDIT_APP)
        and path.name != "events.py"
        and re.search(r"\baudit_record\(", path.read_text())
    ]
    # then none of them writes to the audit log directly
    assert callers == []


def test_events_modules_record_declared_types_only():
    literal = []
    for path in _events_modules():
        for call in _calls(path, "audit_record"):
            action = next(k.value for k in call.keywords if k.arg == "action")
            if not (isinstance(action, ast.Attribute) and action.attr == "action"):
                literal.append(f"{path.relative_to(ROOT)}:{call.lineno}")
    assert literal == [], "pass a declared type's .action, never a string"


def test_every_action_is_declared_once_with_a_label():
    declared = _declared()
    actions = [action for action, _, _ in declared]
    duplicates = sorted({a for a in actions if actions.count(a) > 1})
    assert duplicates == []
    assert [a for a, label, _ in declared if not label.strip() or label == a] == []
    assert all(re.fullmatch(r"[a-z_]+\.[a-z_]+", a) for a in actions)
    # and the audit app found every events module when Django started
    assert {t.action for t in event_types()} == set(actions)


def test_every_events_module_declares_its_types():
    for path in _events_modules():
        assert _calls(path, "event_type"), f"{path.relative_to(ROOT)} declares no event type"


def test_events_modules_import_only_their_own_app_and_lower_apps():
    apps = [name for name in settings.INSTALLED_APPS if name.split(".")[0] in ("portal", "dpa", "subprocessors")]

    def app_of(module: str) -> str | None:
        return next((app for app in apps if module == app or module.startswith(app + ".")), None)

    upward = []
    for path in _events_modules():
        own = app_of(".".join(path.relative_to(ROOT).with_suffix("").parts))
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                imported = app_of(node.module)
                if imported is not None and apps.index(imported) > apps.index(own):
                    upward.append(f"{own} imports {node.module}")
    assert upward == []


def test_declaring_an_action_twice_stops_the_start_up():
    with pytest.raises(ImproperlyConfigured, match="declared twice"):
        event_type("organisation.created", "Organisation created again")


def test_unknown_or_legacy_codes_are_their_own_label():
    assert event_label("organisation.created") == "Organisation created"
    assert event_label("legacy.free_text") == "legacy.free_text"


@pytest.mark.django_db
def test_audit_log_shows_the_label_of_a_recorded_event(client, legal, org):
    # given an event recorded through its events module, and a legacy row with an undeclared code
    organisation_events.organisation_updated(
        organisation=org, changes={"before": {"name": "Old"}, "after": {"name": org.name}}, actor=legal
    )
    audit_record(action="legacy.free_text")
    login(client, legal)
    # when legal staff open the log
    body = client.get(reverse("staff:audit")).content.decode()
    # then the row reads as its label, with the code beside it, and the legacy row shows its code
    assert "Organisation details changed" in body
    assert "organisation.updated" in body
    assert "legacy.free_text" in body


@pytest.mark.django_db
def test_audit_log_can_be_filtered_by_label(client, legal, org):
    organisation_events.organisation_updated(
        organisation=org, changes={"before": {"name": "Old"}, "after": {"name": org.name}}, actor=legal
    )
    audit_record(action="legacy.free_text")
    login(client, legal)
    body = client.get(reverse("staff:audit"), {"action": "details changed"}).content.decode()
    assert "organisation.updated" in body
    assert "legacy.free_text" not in body


@pytest.mark.django_db
def test_audit_export_has_a_label_column(client, legal, org):
    organisation_events.organisation_updated(
        organisation=org, changes={"before": {"tier": "self_serve"}, "after": {"tier": "enterprise"}}, actor=legal
    )
    login(client, legal)
    response = client.get(reverse("staff:audit_export"))
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][3:5] == ["action", "action_label"]
    assert rows[1][3:5] == ["organisation.tier_changed", "Organisation tier changed"]
    assert AuditEvent.objects.filter(action="audit.exported").count() == 1
