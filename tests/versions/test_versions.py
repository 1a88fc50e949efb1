import datetime as dt

import pytest
from django.urls import reverse

from dpa.versions.forms import DpaVersionForm
from dpa.versions.models import DpaVersion
from dpa.versions.services import dpa_version_create, dpa_version_publish, dpa_version_update
from portal.audit.models import AuditEvent
from portal.core.errors import ApplicationError
from portal.delivery.models import OutboundEmail
from portal.organisations.models import Organisation
from tests.auth import login
from tests.organisations.factories import OrganisationFactory, UserFactory
from tests.signing.factories import DpaVersionFactory, publish, published_version
from tests.trust.factories import grant

pytestmark = pytest.mark.django_db

BODY = "Intro.\n\n## Scope\n\n1. We process data.\n\n## Annex 1 — Processing\n\nDetails."


# --- drafting and publishing ------------------------------------------------------------------


def test_create_draft_is_audited(legal):
    version = dpa_version_create(
        label="2027.1",
        title="Data Processing Agreement",
        body=BODY,
        change_summary="New",
        effective_date=dt.date(2027, 1, 1),
        actor=legal,
    )
    assert version.status == DpaVersion.Status.DRAFT
    event = AuditEvent.objects.get(action="dpa.version_drafted")
    assert event.actor_id == legal.pk
    assert event.details["after"]["label"] == "2027.1"


def test_a_body_without_clauses_is_refused(legal):
    with pytest.raises(ApplicationError) as exc:
        dpa_version_create(
            label="x1",
            title="T",
            body="Just words",
            change_summary="s",
            effective_date=dt.date(2027, 1, 1),
            actor=legal,
        )
    assert exc.value.field == "body"
    assert not DpaVersion.objects.exists()


def test_publishing_supersedes_the_previous_version_and_is_audited(legal):
    first = published_version(label="2025.1")
    second = DpaVersionFactory(label="2026.1")
    dpa_version_publish(version=second, actor=legal)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == DpaVersion.Status.SUPERSEDED
    assert first.superseded_at is not None
    assert second.status == DpaVersion.Status.PUBLISHED
    assert second.published_by == legal
    assert DpaVersion.objects.filter(status="published").count() == 1
    published = AuditEvent.objects.get(action="dpa.version_published", target_id=str(second.pk))
    assert published.details["supersedes"] == "2025.1"
    assert AuditEvent.objects.filter(action="dpa.version_superseded", target_id=str(first.pk)).exists()


def test_publishing_twice_is_refused(legal):
    version = published_version()
    with pytest.raises(ApplicationError):
        dpa_version_publish(version=version, actor=legal)


def test_publishing_emails_every_enterprise_privacy_contact_once(legal, run_on_commit, mailoutbox):
    # given
    published_version(label="2025.1")
    enterprise = OrganisationFactory(tier=Organisation.Tier.ENTERPRISE, privacy_contact_email="dpo@ent.example")
    OrganisationFactory(tier=Organisation.Tier.SELF_SERVE, privacy_contact_email="dpo@small.example")
    OrganisationFactory(tier=Organisation.Tier.ENTERPRISE, privacy_contact_email="")
    version = DpaVersionFactory(label="2026.1", change_summary="Breach notice within 48 hours.")
    # when
    run_on_commit(dpa_version_publish, version=version, actor=legal)
    # then
    rows = OutboundEmail.objects.filter(template="dpa_version_published")
    assert [r.to_email for r in rows] == ["dpo@ent.example"]
    row = rows.get()
    assert row.organisation == enterprise
    assert "Breach notice within 48 hours." in row.body_text
    assert "/dpa/diff/?from=2025.1&to=2026.1" in row.body_text
    assert f"/org/{enterprise.public_id}/#dpa" in row.body_text
    assert [m.to for m in mailoutbox] == [["dpo@ent.example"]]


# --- immutability -----------------------------------------------------------------------------


def test_model_refuses_to_change_a_published_version():
    version = published_version()
    version.body = version.body + "\n\nSneaky."
    with pytest.raises(ApplicationError):
        version.save()
    with pytest.raises(ApplicationError):
        DpaVersion.objects.filter(pk=version.pk).update(body="changed")
    with pytest.raises(ApplicationError):
        version.delete()
    version.refresh_from_db()
    assert "Sneaky" not in version.body


def test_model_refuses_to_change_a_superseded_version():
    old = published_version(label="a1")
    published_version(label="a2")
    old.refresh_from_db()
    old.change_summary = "rewritten"
    with pytest.raises(ApplicationError):
        old.save()


def test_service_refuses_to_edit_a_published_version(legal):
    version = published_version()
    with pytest.raises(ApplicationError):
        dpa_version_update(version=version, data={"title": "Other"}, actor=legal)
    version.refresh_from_db()
    assert version.title == "Data Processing Agreement"


def test_form_refuses_to_edit_a_published_version():
    version = published_version()
    data = {
        "label": version.label,
        "title": "Changed",
        "effective_date": "2026-01-01",
        "change_summary": "x",
        "body": BODY,
    }
    form = DpaVersionForm(data, instance=version)
    assert not form.is_valid()
    assert "can no longer be changed" in str(form.errors)


def test_staff_page_refuses_to_edit_a_published_version(client, legal):
    version = published_version()
    login(client, legal)
    response = client.post(
        reverse("versions:staff_edit", args=[version.label]),
        {"label": version.label, "title": "X", "effective_date": "2026-01-01", "change_summary": "x", "body": BODY},
    )
    assert response.status_code == 400
    assert "can no longer be changed" in response.content.decode()
    version.refresh_from_db()
    assert version.title == "Data Processing Agreement"
    assert not AuditEvent.objects.filter(action="dpa.version_edited").exists()


def test_staff_edits_a_draft(client, legal):
    version = DpaVersionFactory(label="d1")
    login(client, legal)
    response = client.post(
        reverse("versions:staff_edit", args=["d1"]),
        {"label": "d1", "title": "DPA", "effective_date": "2027-02-01", "change_summary": "Better", "body": BODY},
    )
    assert response.status_code == 302
    version.refresh_from_db()
    assert version.body == BODY
    assert version.effective_date == dt.date(2027, 2, 1)
    assert AuditEvent.objects.get(action="dpa.version_edited").details["after"]["title"] == "DPA"


def test_staff_creates_and_publishes_through_pages(client, legal, run_on_commit):
    login(client, legal)
    response = client.post(
        reverse("versions:staff_new"),
        {"label": "2027.1", "title": "DPA", "effective_date": "2027-01-01", "change_summary": "New", "body": BODY},
    )
    assert response.status_code == 302
    response = client.post(reverse("versions:staff_publish", args=["2027.1"]))
    assert response.status_code == 302
    assert DpaVersion.objects.get(label="2027.1").status == "published"


def test_staff_new_version_bad_input_shows_field_errors(client, legal):
    login(client, legal)
    response = client.post(
        reverse("versions:staff_new"),
        {"label": "bad label!", "title": "DPA", "effective_date": "nope", "change_summary": "", "body": "no clauses"},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "Use letters, digits, dots and hyphens only" in body
    assert "Enter a valid date." in body
    assert not DpaVersion.objects.exists()


def test_api_refuses_to_edit_a_published_version(client, legal):
    version = published_version()
    login(client, legal)
    response = client.patch(
        reverse("versions:api_detail", args=[version.label]), {"title": "Changed"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert "can no longer be changed" in response.json()["detail"]
    version.refresh_from_db()
    assert version.title == "Data Processing Agreement"


def test_api_edits_and_publishes_a_draft(client, legal):
    DpaVersionFactory(label="d2")
    login(client, legal)
    response = client.patch(
        reverse("versions:api_detail", args=["d2"]), {"title": "New"}, content_type="application/json"
    )
    assert response.status_code == 200
    assert response.json()["title"] == "New"
    response = client.post(reverse("versions:api_publish", args=["d2"]))
    assert response.status_code == 200
    assert response.json()["status"] == "published"


def test_api_writes_are_for_legal_staff_only(client, org_admin):
    DpaVersionFactory(label="d3")
    login(client, org_admin)
    assert client.patch(
        reverse("versions:api_detail", args=["d3"]), {}, content_type="application/json"
    ).status_code in (
        403,
        404,
    )
    assert client.post(reverse("versions:api_publish", args=["d3"])).status_code == 403
    response = client.post(reverse("versions:api_list"), {"label": "x"}, content_type="application/json")
    assert response.status_code == 403
    assert DpaVersion.objects.get(label="d3").status == "draft"


def test_api_lists_published_versions_with_summaries_but_not_drafts(client):
    published_version(label="p1", change_summary="First one.")
    DpaVersionFactory(label="draft-1")
    data = client.get(reverse("versions:api_list")).json()
    assert [v["label"] for v in data["results"]] == ["p1"]
    assert data["results"][0]["change_summary"] == "First one."
    assert "body" not in data["results"][0]
    assert client.get(reverse("versions:api_detail", args=["draft-1"])).status_code == 404


# --- visibility -------------------------------------------------------------------------------


def test_public_sees_version_list_and_summaries_but_not_the_text(client):
    published_version(label="p1", change_summary="Summary one.")
    published_version(label="p2", change_summary="Summary two.")
    DpaVersionFactory(label="secret-draft", change_summary="Draft summary")
    body = client.get(reverse("versions:list")).content.decode()
    assert "Summary one." in body
    assert "Summary two." in body
    assert "secret-draft" not in body
    detail = client.get(reverse("versions:detail", args=["p2"])).content.decode()
    assert "Summary two." in detail
    assert "Processing on instructions" not in detail
    assert client.get(reverse("versions:detail", args=["secret-draft"])).status_code == 404


def test_approved_user_reads_the_full_text_online(client):
    user = UserFactory()
    grant(user)
    published_version(label="p1")
    login(client, user)
    body = client.get(reverse("versions:detail", args=["p1"])).content.decode()
    assert "1. Processing on instructions" in body
    assert "Annex 1" in body


@pytest.mark.parametrize("who", ["anonymous", "no grant", "expired grant"])
def test_full_text_pdf_and_diff_need_approved_access(client, who):
    published_version(label="p1")
    published_version(label="p2")
    if who != "anonymous":
        user = UserFactory()
        if who == "expired grant":
            grant(user, days=-1)
        login(client, user)
    pdf = client.get(reverse("versions:pdf", args=["p1"]))
    diff = client.get(reverse("versions:diff"))
    if who == "anonymous":
        assert pdf.status_code == diff.status_code == 302
    else:
        assert pdf.status_code == diff.status_code == 403
    assert not AuditEvent.objects.filter(action="dpa.informational_copy_downloaded").exists()


def test_diff_page_shows_clause_changes(client):
    from dpa.versions import sample_dpa

    user = UserFactory()
    grant(user)
    published_version(label="2025.1", body=sample_dpa.body("previous", "Routewise B.V."))
    published_version(label="2026.1", body=sample_dpa.body("current", "Routewise B.V."))
    login(client, user)
    response = client.get(reverse("versions:diff"), {"from": "2025.1", "to": "2026.1"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "<del>72</del>" in body
    assert "48</ins>" in body
    assert "Processing in the EEA" in body
    assert "Added" in body


def test_diff_with_unknown_versions_is_a_400_not_a_500(client):
    user = UserFactory()
    grant(user)
    published_version(label="p1")
    login(client, user)
    response = client.get(reverse("versions:diff"), {"from": "nope", "to": "p1"})
    assert response.status_code == 400
    assert "Choose two published versions." in response.content.decode()


def test_staff_pages_need_legal(client, member, legal_no_mfa):
    version = DpaVersionFactory(label="d1")
    login(client, member)
    assert client.get(reverse("versions:staff_list")).status_code == 403
    assert client.post(reverse("versions:staff_publish", args=["d1"])).status_code == 403
    login(client, legal_no_mfa)
    assert client.get(reverse("versions:staff_list")).status_code == 302
    version.refresh_from_db()
    assert version.is_draft


def test_staff_version_list_query_count(client, legal, django_assert_max_num_queries):
    for i in range(15):
        DpaVersionFactory(label=f"v{i}")
    publish(DpaVersionFactory(label="pub"), actor=legal)
    login(client, legal)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("versions:staff_list"))
    assert response.status_code == 200


def test_enterprise_member_reads_and_self_serve_member_is_pointed_to_access_request(client, member):
    published_version(label="p1")
    published_version(label="p2")
    login(client, member)  # member of the enterprise `org`
    assert client.get(reverse("versions:diff")).status_code == 200
    assert "1. Processing on instructions" in client.get(reverse("versions:detail", args=["p2"])).content.decode()
    small = OrganisationFactory(tier=Organisation.Tier.SELF_SERVE)
    from tests.organisations.factories import MembershipFactory

    self_serve_user = MembershipFactory(organisation=small).user
    login(client, self_serve_user)
    response = client.get(reverse("versions:diff"))
    assert response.status_code == 403
    assert reverse("trust:access_request") in response.content.decode()
    assert "Processing on instructions" not in client.get(reverse("versions:detail", args=["p2"])).content.decode()


def test_database_refuses_raw_changes_to_a_published_version():
    from django.db import DatabaseError, connection, transaction

    if connection.vendor != "postgresql":
        pytest.skip("the trigger exists on PostgreSQL only")
    version = published_version()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE versions_dpaversion SET body = 'edited' WHERE id = %s", [version.pk])
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM versions_dpaversion WHERE id = %s", [version.pk])
    # Superseding (a status change) is still allowed.
    published_version(label="next")
    version.refresh_from_db()
    assert version.status == DpaVersion.Status.SUPERSEDED
    assert version.body != "edited"


def test_public_version_list_query_count_does_not_grow_with_versions(client, django_assert_max_num_queries):
    for i in range(12):
        published_version(label=f"r{i}")
    with django_assert_max_num_queries(6):
        response = client.get(reverse("versions:list"))
    assert response.status_code == 200
    assert response.content.decode().count("Superseded") == 11
