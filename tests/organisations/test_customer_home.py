"""The customer home: one page per organisation with everything its legal/security team follows."""

import datetime as dt
import re
import uuid

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from dpa.breaches.models import BreachNotification
from dpa.signing.models import DpaExecution
from portal.organisations.models import Membership, Organisation
from subprocessors.objections.models import Objection, ObjectionMessage
from subprocessors.webhooks.models import Webhook, WebhookDelivery
from tests.auth import login
from tests.breaches.factories import make_incident, mark_delivered
from tests.changes.factories import make_change
from tests.organisations.factories import MembershipFactory, OrganisationFactory, UserFactory
from tests.signing.factories import published_version
from tests.trust.factories import grant

pytestmark = pytest.mark.django_db

CET = dt.timezone(dt.timedelta(hours=1))
EFFECTIVE = dt.date(2026, 12, 29)
BEFORE_DEADLINE = dt.datetime(2026, 12, 28, 23, 59, tzinfo=CET)
AT_DEADLINE = dt.datetime(2026, 12, 29, 0, 0, tzinfo=CET)
GROUNDS = "Patient identifiers would leave our approved processing regions."


@pytest.fixture(autouse=True)
def _long_sessions(settings):
    settings.SESSION_COOKIE_AGE = 120 * 24 * 3600  # some tests travel weeks ahead of the login


def _home(org):
    return reverse("organisations:detail", args=[org.public_id])


def _page(client, user, org) -> str:
    login(client, user)
    response = client.get(_home(org))
    assert response.status_code == 200
    return response.content.decode()


def _section(page: str, anchor: str) -> str:
    """The HTML of one <section id=anchor> of the page."""
    match = re.search(rf'<section class="card" id="{anchor}".*?</section>', page, re.S)
    assert match, f"no section #{anchor}"
    return match.group(0)


def _glance(page: str) -> str:
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", _section(page, "glance")))
    return re.sub(r" ([.,;])", r"\1", text)


def _executed(org, version, *, at=None) -> DpaExecution:
    at = at or timezone.now() - dt.timedelta(days=30)
    return DpaExecution.objects.create(
        organisation=org,
        version=version,
        status=DpaExecution.Status.EXECUTED,
        agreement_path="dpa/agreement.pdf",
        agreement_sha256="a" * 64,
        signatory_name="Ines de Vries",
        signatory_title="Managing Director",
        signatory_email="ines@acme.example",
        link_expires_at=at,
        customer_signed_name="Ines de Vries",
        customer_signed_at=at - dt.timedelta(days=2),
        countersigned_at=at,
        executed_at=at,
        executed_path="dpa/executed.pdf",
        executed_sha256=uuid.uuid4().hex + uuid.uuid4().hex,
    )


def _open(org, version, status) -> DpaExecution:
    signed = timezone.now() - dt.timedelta(days=1) if status == DpaExecution.Status.AWAITING_COUNTERSIGNATURE else None
    return DpaExecution.objects.create(
        organisation=org,
        version=version,
        status=status,
        agreement_path="dpa/agreement.pdf",
        agreement_sha256="b" * 64,
        signatory_name="Ines de Vries",
        signatory_title="Managing Director",
        signatory_email="ines@acme.example",
        link_expires_at=timezone.now() + dt.timedelta(days=10),
        customer_signed_name="Ines de Vries" if signed else "",
        customer_signed_at=signed,
    )


def _objection(change, org, status=Objection.Status.RECEIVED) -> Objection:
    return Objection.objects.create(change=change, organisation=org, grounds=GROUNDS, status=status)


# --- what each kind of organisation sees at a glance ---------------------------------------------------------


def test_enterprise_with_a_dpa_in_force_sees_version_dates_and_the_executed_pdf(client, member, org):
    version = published_version(label="2026.1")
    execution = _executed(org, version, at=dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC))

    page = _page(client, member, org)

    glance = _glance(page)
    assert "Enterprise A mutually signed DPA is available" in glance
    assert "In force Version 2026.1, in force since 2 Mar 2026 (signed 28 Feb 2026, countersigned 2 Mar 2026)" in glance
    assert "DPA signing None in progress." in glance
    pdf = reverse("signing:executed_pdf", args=[org.public_id, execution.public_id])
    assert f'href="{pdf}"' in _section(page, "glance")
    assert f'href="{pdf}"' in _section(page, "dpa")


def test_enterprise_awaiting_countersignature_sees_the_signing_status(client, member, org):
    version = published_version(label="2026.1")
    _open(org, version, DpaExecution.Status.AWAITING_COUNTERSIGNATURE)

    glance = _glance(_page(client, member, org))

    assert (
        "DPA in force Not signed No signed DPA yet; it applies once mutually signed (version 2026.1 can be requested)."
        in glance
    )
    assert "Awaiting countersignature Version 2026.1: signed by Ines de Vries on" in glance
    assert "Awaiting signatory" not in glance


def test_enterprise_awaiting_signatory_sees_who_has_the_link(client, member, org):
    version = published_version(label="2026.1")
    _open(org, version, DpaExecution.Status.AWAITING_SIGNATORY)

    glance = _glance(_page(client, member, org))

    assert "Awaiting signatory Version 2026.1: Ines de Vries has the signing link until" in glance


def test_enterprise_admin_without_a_dpa_is_pointed_to_the_request(client, org_admin, member, org):
    published_version(label="2026.1")

    admin_glance = _glance(_page(client, org_admin, org))
    member_glance = _glance(_page(client, member, org))

    assert "Version 2026.1 can be signed: request it in the DPA section." in admin_glance
    assert "Only an admin of your organisation can request a signed DPA." in member_glance
    assert "request it in the DPA section" not in member_glance


def test_self_serve_sees_why_it_cannot_sign_and_no_request_link(client):
    org = OrganisationFactory(tier=Organisation.Tier.SELF_SERVE)
    admin = MembershipFactory(organisation=org, role=Membership.Role.ADMIN).user
    published_version(label="2026.1")

    page = _page(client, admin, org)

    glance = _glance(page)
    assert "Self-serve The DPA can be read for information only; it applies to enterprise accounts" in glance
    assert "and so do objections to sub-processor changes" in glance
    assert (
        "For information No DPA applies on the self-serve plan; version 2026.1 can be read for information." in glance
    )
    assert "Not available A mutually signed DPA is part of the enterprise plan;" in glance
    assert reverse("signing:request", args=[org.public_id]) not in page


def test_trust_portal_access_of_the_viewer_none_pending_and_granted(client, member, org):
    from tests.trust.factories import AccessRequestFactory

    assert "Your trust-portal access None Request access to the trust portal" in _glance(_page(client, member, org))

    pending = AccessRequestFactory(user=member, due_at=dt.datetime(2026, 12, 3, 12, tzinfo=dt.UTC))
    assert "Pending decision expected by 3 Dec 2026" in _glance(_page(client, member, org))

    pending.delete()
    access = grant(member, "nda", days=30)
    expected = f"NDA until {timezone.localtime(access.expires_at):%-d %b %Y} · Open the documents"
    assert expected in _glance(_page(client, member, org))


def test_counts_link_to_their_sections(client, org_admin, org, other_org):
    # given two upcoming changes, one of which this organisation objected to, and an objection of another org
    objected, open_change = make_change(status="announced"), make_change(status="announced")
    _objection(objected, org)
    _objection(open_change, other_org)
    # one unacknowledged breach notification, and one webhook whose last delivery failed
    incident = make_incident(organisations=[org])
    mark_delivered(BreachNotification.objects.filter(incident=incident))
    hook = Webhook.objects.create(organisation=org, url="https://hooks.acme.example/a", secret="s")
    WebhookDelivery.objects.create(webhook=hook, event="change.announced", payload={}, status="failed")

    with time_machine.travel(BEFORE_DEADLINE - dt.timedelta(days=3), tick=False):
        page = _page(client, org_admin, org)

    glance = _section(page, "glance")
    text = _glance(page)
    assert "Upcoming changes 2 announced changes, 1 open for objection Needs attention" in text
    assert "Open objections 1 open objection" in text
    assert "Breach notifications 1 not yet acknowledged Needs attention" in text
    assert "Failing webhooks 1 of 1 webhook failing Needs attention" in text
    for anchor in ("changes", "objections", "breaches", "webhooks"):
        assert f'href="#{anchor}"' in glance
        assert f'id="{anchor}"' in page


def test_in_page_navigation_lists_every_section_and_headings_are_in_order(client, member, org):
    page = _page(client, member, org)

    nav = re.search(r'<nav aria-label="On this page">.*?</nav>', page, re.S).group(0)
    anchors = re.findall(r'href="#([a-z]+)"', nav)
    assert anchors == [
        "glance",
        "dpa",
        "access",
        "changes",
        "objections",
        "breaches",
        "webhooks",
        "members",
        "contacts",
    ]
    for anchor in anchors:
        assert f'<section class="card" id="{anchor}"' in page
    main = page[page.index("<main") :]
    levels = [int(level) for level in re.findall(r"<h([1-6])", main)]
    assert levels[0] == 1
    assert all(b - a <= 1 for a, b in zip(levels, levels[1:], strict=False)), levels


# --- upcoming changes and the objection button -----------------------------------------------------------


def test_upcoming_change_shows_its_details_and_object_button_before_the_deadline(client, member, org):
    change = make_change(kind="replace", status="announced", effective_date=EFFECTIVE)
    make_change(status="draft")  # drafts are not announced
    make_change(status="effective", effective_date=dt.date(2026, 11, 1))  # already in effect

    with time_machine.travel(BEFORE_DEADLINE, tick=False):
        section = _section(_page(client, member, org), "changes")

    assert change.subprocessor.name in section
    assert f"(replaces {change.replaces.name})" in section
    assert "Replacement" in section
    assert "29 Dec 2026" in section
    assert "29 Dec 2026 00:00 CET" in section  # the objection deadline
    assert f'href="{reverse("objections:new", args=[change.public_id])}"' in section
    assert section.count("<tr>") == 2  # header + the announced change only
    assert "Objections closed" not in section


def test_object_button_is_gone_at_the_deadline_to_the_minute(client, member, org):
    change = make_change(status="announced", effective_date=EFFECTIVE)

    with time_machine.travel(AT_DEADLINE, tick=False):
        section = _section(_page(client, member, org), "changes")

    assert reverse("objections:new", args=[change.public_id]) not in section
    assert "Objections closed 29 Dec 2026 00:00 CET" in section


def test_the_button_leads_to_the_existing_objection_flow(client, member, org):
    change = make_change(status="announced", effective_date=EFFECTIVE)
    with time_machine.travel(BEFORE_DEADLINE, tick=False):
        _page(client, member, org)
        response = client.get(reverse("objections:new", args=[change.public_id]))
    assert response.status_code == 200
    assert "File objection" in response.content.decode()


def test_after_the_deadline_a_withdrawn_objection_shows_with_the_closed_text(client, member, org):
    change = make_change(status="announced", effective_date=EFFECTIVE)
    withdrawn = _objection(change, org, Objection.Status.WITHDRAWN)

    with time_machine.travel(AT_DEADLINE, tick=False):
        section = _section(_page(client, member, org), "changes")

    assert reverse("objections:detail", args=[org.public_id, withdrawn.public_id]) in section
    assert "Objections closed 29 Dec 2026 00:00 CET" in section
    assert reverse("objections:new", args=[change.public_id]) not in section


def test_already_objected_shows_the_status_with_a_link_instead_of_the_button(client, member, org, other_org):
    change = make_change(status="announced", effective_date=EFFECTIVE)
    mine = _objection(change, org, Objection.Status.IN_CONSULTATION)
    _objection(change, other_org)  # another organisation's objection changes nothing here

    with time_machine.travel(BEFORE_DEADLINE, tick=False):
        section = _section(_page(client, member, org), "changes")

    assert f'href="{reverse("objections:detail", args=[org.public_id, mine.public_id])}"' in section
    assert "In consultation" in section
    assert reverse("objections:new", args=[change.public_id]) not in section
    assert "Objections closed" not in section


def test_after_a_withdrawn_objection_the_organisation_may_object_again(client, member, org):
    change = make_change(status="announced", effective_date=EFFECTIVE)
    withdrawn = _objection(change, org, Objection.Status.WITHDRAWN)

    with time_machine.travel(BEFORE_DEADLINE, tick=False):
        section = _section(_page(client, member, org), "changes")

    assert reverse("objections:detail", args=[org.public_id, withdrawn.public_id]) in section
    assert "Withdrawn" in section
    assert reverse("objections:new", args=[change.public_id]) in section


def test_empty_states(client, member, org):
    page = _page(client, member, org)

    assert "No sub-processor changes are announced at the moment." in _section(page, "changes")
    assert f"{org.name} has not objected to any sub-processor change." in _section(page, "objections")
    assert f"No personal data breach notifications have been delivered to {org.name}." in _section(page, "breaches")
    assert f"{org.name} has no webhooks." in _section(page, "webhooks")
    text = _glance(page)
    assert "Upcoming changes 0 announced changes" in text
    assert "Open objections 0 open objections" in text
    assert "Breach notifications None received" in text
    assert "Failing webhooks No webhooks registered" in text
    assert "Needs attention" not in text


# --- objections, breach notifications, webhooks -------------------------------------------------------------


def test_objections_table_shows_change_filed_status_last_update_and_link(client, member, org, other_org):
    change = make_change(status="effective", effective_date=dt.date(2026, 6, 1))
    with time_machine.travel(dt.datetime(2026, 5, 20, 9, 0, tzinfo=dt.UTC), tick=False):
        objection = _objection(change, org)
    with time_machine.travel(dt.datetime(2026, 5, 22, 14, 30, tzinfo=dt.UTC), tick=False):
        ObjectionMessage.objects.create(objection=objection, body="We propose an EU-only region.", from_staff=False)
    theirs = _objection(make_change(status="announced"), other_org)

    section = _section(_page(client, member, org), "objections")

    assert change.headline in section
    assert f'href="{reverse("objections:detail", args=[org.public_id, objection.public_id])}"' in section
    assert "20 May 2026 11:00" in section  # filed (Amsterdam time)
    assert "22 May 2026 16:30" in section  # last update: the newest message
    assert "Received" in section
    assert str(theirs.public_id) not in section


def test_breach_notifications_show_acknowledged_and_unacknowledged(client, member, org):
    seen = make_incident(organisations=[org], title="Log bucket exposed")
    unseen = make_incident(organisations=[org], title="Laptop stolen")
    now = timezone.now()
    mark_delivered(BreachNotification.objects.filter(incident=seen), at=now, acknowledged=True)
    mark_delivered(BreachNotification.objects.filter(incident=unseen), at=now)

    section = _section(_page(client, member, org), "breaches")

    # each row alone: the two were sent in the same second, so their order on the page is not fixed
    seen_row = re.search(r"<li>(?:(?!</li>).)*?Log bucket exposed.*?</li>", section, re.S).group(0)
    unseen_row = re.search(r"<li>(?:(?!</li>).)*?Laptop stolen.*?</li>", section, re.S).group(0)
    assert "acknowledged" in seen_row
    assert "not yet acknowledged" not in seen_row
    assert "not yet acknowledged" in unseen_row


def test_admin_sees_webhooks_with_last_delivery_and_the_manage_link(client, org_admin, org):
    ok = Webhook.objects.create(organisation=org, url="https://hooks.acme.example/ok", secret="s")
    bad = Webhook.objects.create(organisation=org, url="https://hooks.acme.example/bad", secret="s")
    Webhook.objects.create(organisation=org, url="https://hooks.acme.example/new", secret="s")
    Webhook.objects.create(organisation=org, url="https://hooks.acme.example/gone", secret="s", active=False)
    with time_machine.travel(dt.datetime(2026, 5, 1, 8, 0, tzinfo=dt.UTC)):
        WebhookDelivery.objects.create(webhook=ok, event="change.announced", payload={}, status="failed")
    WebhookDelivery.objects.create(
        webhook=ok, event="change.withdrawn", payload={}, status="succeeded", last_status_code=204
    )
    WebhookDelivery.objects.create(
        webhook=bad, event="change.announced", payload={}, status="pending", last_status_code=500, last_error="HTTP 500"
    )

    section = _section(_page(client, org_admin, org), "webhooks")

    rows = {url: row for url, row in re.findall(r"<tr><td><code>([^<]+)</code>(.*?)</tr>", section, re.S)}
    assert set(rows) == {ok.url, bad.url, "https://hooks.acme.example/new"}
    assert "Delivered" in rows[ok.url]
    assert "HTTP 204" in rows[ok.url]
    assert "Failing" in rows[bad.url]
    assert "HTTP 500" in rows[bad.url]
    assert "Nothing delivered yet" in rows["https://hooks.acme.example/new"]
    assert reverse("webhooks:list", args=[org.public_id]) in section


# --- permissions -------------------------------------------------------------------------------------------


def test_non_admin_sees_no_admin_controls(client, member, org):
    Webhook.objects.create(organisation=org, url="https://hooks.acme.example/a", secret="s")
    published_version(label="2026.1")

    page = _page(client, member, org)

    assert "Only admins of the organisation can register and manage webhooks" in _section(page, "webhooks")
    assert "https://hooks.acme.example/a" not in page
    for admin_url in (
        reverse("webhooks:list", args=[org.public_id]),
        reverse("organisations:contacts", args=[org.public_id]),
        reverse("organisations:invite", args=[org.public_id]),
        reverse("signing:request", args=[org.public_id]),
    ):
        assert admin_url not in page
    assert "Change role" not in page


def test_admin_sees_the_admin_controls(client, org_admin, org):
    published_version(label="2026.1")
    page = _page(client, org_admin, org)
    for admin_url in (
        reverse("webhooks:list", args=[org.public_id]),
        reverse("organisations:contacts", args=[org.public_id]),
        reverse("organisations:invite", args=[org.public_id]),
        reverse("signing:request", args=[org.public_id]),
    ):
        assert admin_url in page


def test_anonymous_is_sent_to_login(client, org):
    response = client.get(_home(org))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_another_organisations_member_gets_404_and_sees_nothing(client, other_member, org):
    change = make_change(status="announced")
    objection = _objection(change, org)
    login(client, other_member)
    response = client.get(_home(org))
    assert response.status_code == 404
    assert org.name not in response.content.decode()
    assert str(objection.public_id) not in response.content.decode()


# --- query count -------------------------------------------------------------------------------------------


def _world(org, admin, n: int) -> None:
    """n of everything the page lists: changes (half objected to), objections with messages, breach
    notifications, webhooks with deliveries, members and invitations."""
    other = OrganisationFactory()
    for i in range(n):
        change = make_change(kind="replace" if i % 2 else "add", status="announced")
        objection = _objection(change, org, Objection.Status.RECEIVED if i % 2 else Objection.Status.WITHDRAWN)
        ObjectionMessage.objects.create(objection=objection, body="See attached.", author=admin)
        _objection(change, other)
        incident = make_incident(organisations=[org, other])
        mark_delivered(BreachNotification.objects.filter(incident=incident))
        hook = Webhook.objects.create(organisation=org, url=f"https://hooks.acme.example/{n}/{i}", secret="s")
        WebhookDelivery.objects.create(webhook=hook, event="change.announced", change=change, payload={})
        MembershipFactory(organisation=org, user=UserFactory())
        org.invitations.create(
            email=f"invitee{n}-{i}@acme.example",
            role="member",
            invited_by=admin,
            expires_at=timezone.now() + dt.timedelta(days=7),
        )


@pytest.mark.parametrize("role", ["admin", "member"])
def test_query_count_does_not_grow_with_the_data(client, org, role, django_assert_max_num_queries):
    user = MembershipFactory(organisation=org, role=role).user
    version = published_version(label="2026.1")
    _executed(org, version)
    grant(user, "approved")
    login(client, user)
    client.get(_home(org))  # the first page also remembers the menu's and the log line's facts (portal.core.user_memo)

    _world(org, user, 1)
    with django_assert_max_num_queries(40) as small:
        assert client.get(_home(org)).status_code == 200

    _world(org, user, 15)
    with django_assert_max_num_queries(len(small.captured_queries)) as large:
        page = client.get(_home(org)).content.decode()

    assert len(large.captured_queries) == len(small.captured_queries)
    assert page.count("/objections/") >= 16
