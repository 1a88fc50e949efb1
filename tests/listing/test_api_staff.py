"""Staff API of the sub-processor list: the staff pages' operations, with their rules, history and audit events."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from portal.audit.models import AuditEvent
from portal.core.models import IdempotencyRecord
from subprocessors.listing.models import Subprocessor, SubprocessorRevision
from subprocessors.listing.services import NOTICE_REQUIRED, SLUG_RESERVED, SLUG_UNCHANGEABLE
from tests.listing.factories import SubprocessorFactory, make_subprocessor
from tests.staff_api import REFUSED, api_client, expected_ok

pytestmark = pytest.mark.django_db
LIST = "listing:api_staff_list"


def body(**overrides) -> dict:
    data = {
        "name": "Phare.io",
        "legal_entity": "Phare SAS",
        "category": "controller_data",
        "purpose": "Status page",
        "processes_customer_data": False,
        "customer_data_note": "",
        "location": "EU",
        "hq_country": "fr",
        "processing_region": "EU",
        "eea_only": True,
        "website": "https://phare.io",
        "status": "active",
    }
    data.update(overrides)
    return data


@pytest.fixture
def staff_api(request, db):
    return api_client("legal_session", request)


@pytest.fixture
def sp(db):
    return make_subprocessor()  # Mistral AI, active, processes customer data


def test_list_shows_every_status_with_the_staff_filters(staff_api, sp, django_assert_max_num_queries):
    # given
    SubprocessorFactory(slug="proposal", name="Proposal One", status="proposed", engaged_since=None)
    SubprocessorFactory(slug="gone", name="Gone One", status="retired", retired_on=dt.date(2026, 1, 5))
    SubprocessorFactory.create_batch(30, category="controller_data")
    staff_api.get(reverse(LIST))  # warm the session and permission caches
    # when
    with django_assert_max_num_queries(8):
        response = staff_api.get(reverse(LIST), {"page_size": 100})
    # then
    assert response.status_code == 200
    slugs = [row["slug"] for row in response.json()["results"]]
    assert response.json()["count"] == 33
    assert {"mistral-ai", "proposal", "gone"} <= set(slugs)
    row = next(r for r in response.json()["results"] if r["slug"] == "mistral-ai")
    assert row["console_url"] == "http://testserver/staff/subprocessors/mistral-ai/"
    assert row["status"] == "active"
    proposed = staff_api.get(reverse(LIST), {"status": "proposed"}).json()["results"]
    assert [r["slug"] for r in proposed] == ["proposal"]
    assert [r["slug"] for r in staff_api.get(reverse(LIST), {"q": "gone"}).json()["results"]] == ["gone"]
    assert staff_api.get(reverse(LIST), {"category": "ai_provider"}).json()["count"] == 3


@pytest.mark.parametrize("params", [{"status": "bogus"}, {"category": "x"}, {"page_size": "0"}])
def test_a_bad_filter_is_400_with_the_field(staff_api, params):
    response = staff_api.get(reverse(LIST), params)
    assert response.status_code == 400
    assert set(response.json()) == set(params)


def test_create_makes_the_slug_from_the_name_and_is_audited_as_the_page(staff_api, request):
    # when
    response = staff_api.post(reverse(LIST), body(), format="json")
    # then
    assert response.status_code == 201, response.json()
    assert response.json()["slug"] == "phareio"
    assert response.json()["hq_country"] == "FR"
    sp = Subprocessor.objects.get(slug="phareio")
    assert sp.status == "active"
    assert sp.engaged_since is not None
    legal = sp.revisions.get().actor
    assert legal.email == "legal_session@processor.example"
    assert AuditEvent.objects.filter(action="subprocessor.created", actor_label=legal.email).count() == 1
    # the same name again gets the next free slug
    again = staff_api.post(reverse(LIST), body(), format="json")
    assert again.json()["slug"] == "phareio-2"


def test_an_active_processor_of_customer_data_needs_a_change_notice(staff_api):
    response = staff_api.post(reverse(LIST), body(category="ai_provider", processes_customer_data=True), format="json")
    assert response.status_code == 400
    assert response.json() == {"detail": NOTICE_REQUIRED}
    assert not Subprocessor.objects.exists()
    assert not AuditEvent.objects.exists()
    proposed = staff_api.post(
        reverse(LIST), body(category="ai_provider", processes_customer_data=True, status="proposed"), format="json"
    )
    assert proposed.status_code == 201


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"hq_country": "XX"}, "hq_country", "is not an ISO 3166-1 alpha-2 country code"),
        ({"website": "javascript:alert(1)"}, "website", "Enter a valid URL."),
        ({"slug": "new"}, "slug", SLUG_RESERVED),
        ({"slug": "Not A Slug"}, "slug", "Enter a valid"),
        ({"name": ""}, "name", "may not be blank"),
        ({"name": "Bad\nname"}, "name", ""),
        ({"category": "nonsense"}, "category", "is not a valid choice"),
        ({"status": "gone"}, "status", "is not a valid choice"),
    ],
)
def test_bad_input_is_400_with_the_field_and_changes_nothing(staff_api, overrides, field, message):
    response = staff_api.post(reverse(LIST), body(**overrides), format="json")
    assert response.status_code == 400
    assert message in " ".join(response.json()[field])
    assert not Subprocessor.objects.exists()
    assert not AuditEvent.objects.exists()


def test_a_taken_slug_is_400(staff_api, sp):
    response = staff_api.post(reverse(LIST), body(slug=sp.slug), format="json")
    assert response.status_code == 400
    assert "slug" in response.json()
    assert Subprocessor.objects.count() == 1


def test_a_row_of_the_public_api_can_be_edited_and_written_back(staff_api, sp, client):
    # given: the row as the public API gives it
    public = client.get(reverse("listing:api_detail", args=[sp.slug])).json()
    public["purpose"] = "AI model processing (EU)"
    # when
    response = staff_api.patch(reverse("listing:api_staff_detail", args=[sp.slug]), public, format="json")
    # then
    assert response.status_code == 200, response.json()
    sp.refresh_from_db()
    assert sp.purpose == "AI model processing (EU)"
    revision = SubprocessorRevision.objects.order_by("-id").first()
    assert revision.changed_fields == ["purpose"]
    event = AuditEvent.objects.get(action="subprocessor.changed")
    assert event.details["after"] == {"purpose": "AI model processing (EU)"}
    assert event.actor_label == "legal_session@processor.example"
    # sending it again changes nothing and records nothing
    staff_api.patch(reverse("listing:api_staff_detail", args=[sp.slug]), public, format="json")
    assert SubprocessorRevision.objects.count() == 2


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"legal_entity": "Someone Else Ltd"}, "detail", NOTICE_REQUIRED),
        ({"eea_only": False}, "detail", NOTICE_REQUIRED),
        ({"slug": "other"}, "slug", SLUG_UNCHANGEABLE),
        ({"hq_country": "QQ"}, "hq_country", "is not an ISO"),
        ({"engaged_since": "soon"}, "engaged_since", "Date has wrong format"),
    ],
)
def test_an_edit_the_page_refuses_is_400_and_changes_nothing(staff_api, sp, data, field, message):
    response = staff_api.patch(reverse("listing:api_staff_detail", args=[sp.slug]), data, format="json")
    assert response.status_code == 400
    assert message in str(response.json()[field])
    assert SubprocessorRevision.objects.count() == 1
    sp.refresh_from_db()
    assert (sp.legal_entity, sp.hq_country, sp.eea_only) == ("Mistral AI SAS", "FR", True)


def test_read_one_in_any_status_and_unknown_is_404(staff_api):
    SubprocessorFactory(slug="proposal", status="proposed", engaged_since=None)
    assert staff_api.get(reverse("listing:api_staff_detail", args=["proposal"])).json()["status"] == "proposed"
    assert staff_api.get(reverse("listing:api_staff_detail", args=["nope"])).status_code == 404
    assert staff_api.post(reverse("listing:api_staff_retire", args=["nope"]), {}, format="json").status_code == 404


def test_retire_takes_the_row_off_the_list_as_the_page_does(staff_api, sp, client):
    # when
    with time_machine.travel(dt.datetime(2026, 12, 14, 10, 0, tzinfo=dt.UTC), tick=False):
        response = staff_api.post(
            reverse("listing:api_staff_retire", args=[sp.slug]), {}, format="json", HTTP_IDEMPOTENCY_KEY="r1"
        )
        again = staff_api.post(
            reverse("listing:api_staff_retire", args=[sp.slug]), {}, format="json", HTTP_IDEMPOTENCY_KEY="r1"
        )
    # then
    assert response.status_code == 200
    assert response.json()["status"] == "retired"
    assert response.json()["retired_on"] == "2026-12-14"
    assert again["Idempotent-Replayed"] == "true"
    assert AuditEvent.objects.filter(action="subprocessor.retired").count() == 1
    assert SubprocessorRevision.objects.filter(kind="retired").count() == 1
    assert client.get(reverse("listing:api_list")).json()["count"] == 0
    bad = staff_api.post(reverse("listing:api_staff_retire", args=[sp.slug]), {"retired_on": "x"}, format="json")
    assert bad.status_code == 400
    assert "retired_on" in bad.json()


def test_create_twice_with_one_key_creates_one_row(staff_api):
    first = staff_api.post(reverse(LIST), body(), format="json", HTTP_IDEMPOTENCY_KEY="k1")
    again = staff_api.post(reverse(LIST), body(), format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Subprocessor.objects.count() == 1
    assert IdempotencyRecord.objects.count() == 1


ENDPOINTS = {
    # name: (method, url name, kwargs, body, write, permission the page checks)
    "list": ("get", LIST, False, None, False, "listing.view_subprocessor"),
    "read": ("get", "listing:api_staff_detail", True, None, False, "listing.view_subprocessor"),
    "create": ("post", LIST, False, body(), True, "listing.add_subprocessor"),
    "edit": ("patch", "listing:api_staff_detail", True, {"purpose": "Other"}, True, "listing.change_subprocessor"),
    "retire": ("post", "listing:api_staff_retire", True, {}, True, "listing.change_subprocessor"),
}


@pytest.mark.parametrize(
    "who",
    [
        "anonymous",
        "customer",
        "legal_without_mfa",
        "legal_read_token",
        "legal_without_permission",
        "legal_session",
        "legal_token",
    ],
)
@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_permission_matrix(request, sp, who, endpoint):
    # given
    method, name, with_slug, data, write, perm = ENDPOINTS[endpoint]
    client = api_client(who, request, without=perm)
    url = reverse(name, args=[sp.slug] if with_slug else [])
    revisions = SubprocessorRevision.objects.count()
    # when
    response = getattr(client, method)(url, data, format="json")
    # then
    if expected_ok(who, write=write):
        assert response.status_code in (200, 201), response.json()
    else:
        assert response.status_code in REFUSED
        assert SubprocessorRevision.objects.count() == revisions
        assert Subprocessor.objects.count() == 1
