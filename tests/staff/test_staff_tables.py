"""Every legal staff list: sorting, filtering, empty states, pagination and a constant number of queries."""

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dpa.breaches.models import BreachIncident, BreachNotification
from dpa.signing.models import DpaExecution
from portal.audit.services import audit_record
from portal.deadlines.models import CalendarOverride, Obligation
from portal.delivery.models import OutboundEmail
from portal.trust.models import TrustDocument, TrustDocumentVersion
from subprocessors.changes.models import ChangeRecipient, SubprocessorChange
from subprocessors.webhooks.models import Webhook, WebhookDelivery
from tests.auth import login
from tests.changes.factories import make_change, proposed
from tests.listing.factories import SubprocessorFactory
from tests.organisations.factories import MembershipFactory, OrganisationFactory
from tests.signing.factories import DpaVersionFactory
from tests.trust.factories import AccessRequestFactory, AutoApprovalRuleFactory, NdaVersionFactory

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def _user(email: str = ""):
    """A user without a password: hashing one per row would make the 30-row tests slow."""
    email = email or f"user-{get_user_model().objects.count()}@row.example"
    return get_user_model().objects.create(username=email, email=email)


def _organisation(i: int) -> str:
    org = OrganisationFactory(name=f"Zeta Row {i:02d}")
    MembershipFactory(organisation=org, user=_user())
    return org.name


def _audit(i: int) -> str:
    audit_record(action=f"row.event{i:02d}", target_type="test.Row", target_id=i)
    return f"row.event{i:02d}"


def _outbox(i: int) -> str:
    OutboundEmail.objects.create(
        idempotency_key=f"row-{i}", to_email=f"row{i:02d}@mail.example", subject="S", body_text="B", status="failed"
    )
    return f"row{i:02d}@mail.example"


def _access_request(i: int) -> str:
    email = f"row{i:02d}@requester.example"
    AccessRequestFactory(user=_user(email), organisation=OrganisationFactory(), company=f"Company {i}")
    return email


def _document(i: int) -> str:
    doc = TrustDocument.objects.create(title=f"Row document {i:02d}", category="other")
    doc.current_version = TrustDocumentVersion.objects.create(
        document=doc,
        version=f"1.{i}",
        file="docs/x.pdf",
        filename="x.pdf",
        size=1,
        sha256="0" * 64,
        published_on=dt.date(2026, 1, 1),
        uploaded_by=_user(),
    )
    doc.save(update_fields=["current_version"])
    return doc.title


def _nda(i: int) -> str:
    NdaVersionFactory(version=f"2025-{i:02d}", published_at=dt.datetime(2025, 1, 1 + i, tzinfo=dt.UTC))
    return f"2025-{i:02d}"


def _dpa_version(i: int) -> str:
    version = DpaVersionFactory(label=f"2030.{i:02d}", effective_date=dt.date(2030, 1, 1) + dt.timedelta(days=i))
    return version.label


def _execution(i: int) -> str:
    org = OrganisationFactory(name=f"Signer Row {i:02d}")
    DpaExecution.objects.create(
        organisation=org,
        version=DpaVersionFactory(),
        requested_by=_user(),
        countersigned_by=_user(),
        agreement_path="dpa/pdf/none.pdf",
        agreement_sha256="0" * 64,
        signatory_name="Signatory",
        signatory_title="Director",
        signatory_email="sign@customer.example",
        link_expires_at=NOW + dt.timedelta(days=14),
    )
    return org.name


def _incident(i: int) -> str:
    aware = NOW - dt.timedelta(hours=i)
    incident = BreachIncident.objects.create(title=f"Incident row {i:02d}", aware_at=aware, earliest_aware_at=aware)
    for _ in range(2):
        BreachNotification.objects.create(
            incident=incident, organisation=OrganisationFactory(), deadline=NOW + dt.timedelta(hours=40 - i)
        )
    return incident.title


def _obligation(i: int) -> str:
    Obligation.objects.create(
        kind=Obligation.Kind.DISCLOSURE_ORDER,
        organisation=OrganisationFactory(),
        title=f"Obligation row {i:02d}",
        received_at=NOW,
        due_at=NOW + dt.timedelta(days=5 + i),
        completed_by=_user(),
    )
    return f"Obligation row {i:02d}"


def _subprocessor(i: int) -> str:
    return SubprocessorFactory(name=f"Row provider {i:02d}").name


def _change(i: int) -> str:
    make_change(subprocessor=proposed(name=f"Row vendor {i:02d}"))
    return f"Row vendor {i:02d}"


def _rule(i: int) -> str:
    AutoApprovalRuleFactory(domain=f"row{i:02d}.example", organisation=OrganisationFactory())
    return f"row{i:02d}.example"


def _notice_change():
    change = SubprocessorChange.objects.filter(reason="Proof-of-notice rows").first()
    return change or make_change(status="announced", reason="Proof-of-notice rows")


def _recipient(i: int) -> str:
    email = f"row{i:02d}@recipient.example"
    sent = OutboundEmail.objects.create(
        idempotency_key=f"notice-{i}", to_email=email, subject="S", body_text="B", status="sent", sent_at=NOW
    )
    ChangeRecipient.objects.create(
        change=_notice_change(), email=email, role=ChangeRecipient.Role.CUSTOMER, announce_email=sent
    )
    return email


def _override(i: int) -> str:
    CalendarOverride.objects.create(date=dt.date(2027, 1, 4) + dt.timedelta(days=i), kind="closed", note=f"Row {i}")
    return f"Row {i}"


def _delivery(i: int) -> str:
    org = OrganisationFactory(name=f"Hook Row {i:02d}")
    webhook = Webhook.objects.create(organisation=org, url=f"https://hooks{i}.example/in", secret="s")
    WebhookDelivery.objects.create(webhook=webhook, event="subprocessor_change.announced", payload={}, status="failed")
    return org.name


@dataclass
class Spec:
    url: str
    make: Callable[[int], str]
    sort: str  # a column whose ascending order is the order of make(0), make(1), ...
    nothing: str  # the "nothing yet" text
    bad: dict = field(default_factory=dict)  # invalid filter values
    miss: dict = field(default_factory=dict)  # a valid filter that matches no row; {} when the list has no filter
    match: dict = field(default_factory=dict)  # a valid filter that matches every made row
    args: Callable[[], list] = list  # the URL's arguments

    @property
    def path(self) -> str:
        return reverse(self.url, args=self.args())


SPECS = {
    "organisations": Spec(
        "organisations:staff_list",
        _organisation,
        "name",
        "No customer organisations yet.",
        bad={"tier": "platinum"},
        miss={"q": "no such name"},
        match={"q": "Zeta Row"},
    ),
    "audit": Spec(
        "staff:audit",
        _audit,
        "action",
        "Nothing has been recorded yet.",
        bad={"since": "yesterday", "organisation": "abc", "until": "2026-13-45"},
        miss={"action": "no.such.action"},
        match={"action": "row.event"},
    ),
    "outbox": Spec(
        "delivery:staff_outbox",
        _outbox,
        "to",
        "No emails have been sent yet.",
        bad={"status": "lost"},
        miss={"to": "nobody@"},
        match={"to": "mail.example"},
    ),
    "access": Spec(
        "trust:staff_queue",
        _access_request,
        "requester",
        "No pending requests: the queue is clear.",
        bad={"status": "maybe", "tier": "gold"},
        miss={"q": "no-such-requester"},
        match={"q": "requester.example"},
    ),
    "documents": Spec(
        "trust:staff_documents",
        _document,
        "title",
        "No documents yet.",
        bad={"category": "novel", "state": "gone", "access_level": "root"},
        miss={"q": "no such document"},
        match={"q": "Row document"},
    ),
    "nda": Spec("trust:staff_nda_versions", _nda, "version", "No NDA yet"),
    "dpa_versions": Spec("versions:staff_list", _dpa_version, "effective", "No versions yet."),
    "executions": Spec(
        "signing:staff_list",
        _execution,
        "organisation",
        "No customer has asked to sign a DPA yet.",
        bad={"status": "signed-ish"},
        miss={"q": "no such signer"},
        match={"q": "Signer Row"},
    ),
    "breaches": Spec(
        "breaches:staff_list",
        _incident,
        "incident",
        "No open incidents.",
        bad={"state": "forgotten", "severity": "apocalyptic"},
        miss={"severity": "low"},
        match={"severity": "medium"},
    ),
    "obligations": Spec(
        "deadlines:staff_list",
        _obligation,
        "title",
        "No obligations recorded yet.",
        bad={"state": "sleepy", "kind": "other", "organisation": "x"},
        miss={"state": "completed"},
        match={"state": "open"},
    ),
    "subprocessors": Spec(
        "listing:staff_list",
        _subprocessor,
        "name",
        "No sub-processors yet.",
        bad={"status": "retired-ish", "category": "misc"},
        miss={"q": "no such provider"},
        match={"q": "Row provider"},
    ),
    "changes": Spec(
        "changes:staff_list",
        _change,
        "subprocessor",
        "No changes scheduled yet.",
        bad={"status": "pending", "kind": "swap"},
        miss={"status": "withdrawn"},
        match={"status": "draft"},
    ),
    "rules": Spec("trust:staff_rules", _rule, "domain", "No rules: every request goes to the queue."),
    "notice": Spec(
        "notices:staff_notice",
        _recipient,
        "recipient",
        "No recipients recorded yet.",
        bad={"delivery": "lost", "role": "owner"},
        miss={"delivery": "failed"},
        match={"delivery": "sent"},
        args=lambda: [_notice_change().public_id],
    ),
    "webhook_deliveries": Spec(
        "webhooks:staff_deliveries",
        _delivery,
        "organisation",
        "No webhook deliveries yet.",
        bad={"status": "lost"},
        miss={"organisation": "no such organisation"},
        match={"organisation": "Hook Row"},
    ),
    "calendar": Spec("deadlines:staff_calendar", _override, "date", "No overrides: the holiday list is used as it is."),
}
FILTERED = [name for name, spec in SPECS.items() if spec.miss]


@pytest.fixture
def staff(client, legal):
    login(client, legal)
    return client


def _rows(body: str, labels: list[str]) -> list[str]:
    """The labels in the order the table body shows them."""
    tbody = body[body.index("<tbody") :]
    return sorted(labels, key=tbody.index)


def _get(client, spec: Spec, **params):
    response = client.get(spec.path, params)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("name", SPECS)
def test_sorting_ascending_and_descending_changes_the_order_shown(staff, name):
    # given three rows made in an order that is not the column's order
    spec = SPECS[name]
    labels = {i: spec.make(i) for i in (1, 0, 2)}
    expected = [labels[0], labels[1], labels[2]]
    # when / then
    body = _get(staff, spec, sort=spec.sort)
    assert _rows(body, expected) == expected
    assert re.search(
        r'<th scope="col" aria-sort="ascending"><a class="sort active" href="[^"]*sort=-' + spec.sort, body
    )
    body = _get(staff, spec, sort=f"-{spec.sort}")
    assert _rows(body, expected) == expected[::-1]
    assert 'aria-sort="descending"' in body
    assert "▼" in body


@pytest.mark.parametrize("name", SPECS)
def test_unknown_sort_falls_back_to_the_default(staff, name):
    spec = SPECS[name]
    label = spec.make(0)
    active = re.compile(r'aria-sort="\w+"><a class="sort active" href="([^"]*)"')
    default = active.search(_get(staff, spec)).group(1)
    for sort in ["bogus", "-", "--name", "name;drop", "-pk", "__class__", "title__password"]:
        body = _get(staff, spec, sort=sort, page="x")
        assert active.search(body).group(1) == default, sort
        assert label in body[body.index("<tbody") :]


@pytest.mark.parametrize("name", FILTERED)
def test_invalid_filter_values_show_an_error_and_are_ignored(staff, name):
    spec = SPECS[name]
    label = spec.make(0)
    body = _get(staff, spec, **spec.bad, page="999")
    assert 'class="errorlist"' in body
    assert label in body


@pytest.mark.parametrize("name", SPECS)
def test_empty_list_says_nothing_is_there_yet(staff, name):
    spec = SPECS[name]
    body = _get(staff, spec)
    assert spec.nothing in body
    assert "match these filters" not in body


@pytest.mark.parametrize("name", FILTERED)
def test_no_match_offers_to_clear_the_filters(staff, name):
    spec = SPECS[name]
    spec.make(0)
    body = _get(staff, spec, **spec.miss, sort=f"-{spec.sort}")
    assert "match these filters" in body
    assert spec.nothing not in body
    clear = f'href="{spec.path}?sort=-{spec.sort}">Clear filters</a>'
    assert clear in body


@pytest.mark.parametrize("name", SPECS)
def test_row_count_is_shown(staff, name):
    spec = SPECS[name]
    for i in range(3):
        spec.make(i)
    body = _get(staff, spec, **spec.match)
    assert re.search(r'<p class="table-count">\d+ [a-z-]+', body)
    if spec.match:
        assert re.search(r'<p class="table-count">3 [a-z-]+s \(filtered\)', body)


@pytest.mark.parametrize("name", FILTERED)
def test_pagination_links_keep_filters_and_sort(staff, name, monkeypatch):
    monkeypatch.setattr("portal.core.tables.PAGE_SIZE", 2)
    monkeypatch.setattr("subprocessors.notices.views.NOTICE_PAGE_SIZE", 2)
    spec = SPECS[name]
    labels = [spec.make(i) for i in range(3)]
    body = _get(staff, spec, **spec.match, sort=f"-{spec.sort}")
    next_link = re.search(r'<a href="\?([^"]+)" rel="next">', body)
    assert next_link
    query = next_link.group(1).replace("&amp;", "&")
    for key, value in spec.match.items():
        assert f"{key}={value}".replace(" ", "+") in query
    assert f"sort=-{spec.sort}" in query
    second = staff.get(f"{spec.path}?{query}").content.decode()
    assert labels[0] in second[second.index("<tbody") :]


@pytest.mark.parametrize("name", SPECS)
def test_query_count_does_not_grow_with_rows(staff, name, django_assert_max_num_queries):
    spec = SPECS[name]
    spec.make(0)
    url = spec.path
    staff.get(url)  # warm per-process caches (content types, site)
    with CaptureQueriesContext(connection) as one_row:
        assert staff.get(url).status_code == 200
    for i in range(1, 30):
        spec.make(i)
    with django_assert_max_num_queries(len(one_row)):
        body = staff.get(url).content.decode()
    assert body[body.index("<tbody") :].count("<tr") >= 30


def test_sort_headers_are_links_reachable_by_keyboard(staff):
    _organisation(0)
    body = _get(staff, SPECS["organisations"])
    headers = re.findall(r"<th scope=\"col\"[^>]*>(.*?)</th>", body)
    assert headers[:3] == [
        '<a class="sort active" href="/staff/organisations/?sort=-name">Name'
        '<span class="sort-indicator" aria-hidden="true">▲</span></a>',
        '<a class="sort" href="/staff/organisations/?sort=tier">Plan'
        '<span class="sort-indicator" aria-hidden="true">↕</span></a>',
        '<a class="sort" href="/staff/organisations/?sort=members">Members'
        '<span class="sort-indicator" aria-hidden="true">↕</span></a>',
    ]
    assert "onclick" not in body


def test_bulk_select_checkboxes_are_labelled(staff):
    email = _access_request(0)
    body = _get(staff, SPECS["access"])
    checkbox = re.search(r'<input type="checkbox" name="selected" [^>]*aria-label="([^"]+)"', body)
    assert checkbox
    assert checkbox.group(1).endswith(f" from {email}")


def test_closed_incidents_are_one_filter_away(staff):
    open_title = _incident(0)
    closed = BreachIncident.objects.create(
        title="Closed row", aware_at=NOW, earliest_aware_at=NOW, status=BreachIncident.Status.CLOSED
    )
    body = _get(staff, SPECS["breaches"])
    assert open_title in body
    assert closed.title not in body
    body = _get(staff, SPECS["breaches"], state="closed")
    assert closed.title in body
    assert open_title not in body
    assert open_title in _get(staff, SPECS["breaches"], state="all")
