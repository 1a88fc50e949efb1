"""Regression tests for what the schemathesis run (test_schemathesis.py) found, one plain example each."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from dpa.versions import sample_dpa
from dpa.versions.models import DpaVersion
from tests.auth import login, user_token
from tests.listing.factories import SubprocessorFactory
from tests.trust.factories import AccessRequestFactory, NdaVersionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    return APIClient()


def test_a_draft_created_without_a_title_gets_the_default_one(api, legal):
    """It answered 500: the service required the title the serializer lets callers leave out."""
    login(api, legal)
    body = {"label": "2027.1", "body": sample_dpa.body("current", "Routewise B.V."), "change_summary": "New annex."}
    response = api.post(reverse("versions:api_list"), {**body, "effective_date": "2027-01-01"}, format="json")
    assert response.status_code == 201
    assert response.json()["title"] == DpaVersion.objects.get(label="2027.1").title == "Data Processing Agreement"


def test_missing_or_invalid_token_is_401_with_the_scheme(api, member):
    url = reverse("signing:api_list")
    for headers in ({}, {"HTTP_AUTHORIZATION": "Token not-a-key"}):
        response = api.get(url, **headers)
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == "Token"
        assert set(response.json()) == {"detail"}
    assert api.get(url, HTTP_AUTHORIZATION=f"Token {user_token(member)}").status_code == 200


def test_signed_in_browser_session_still_works_and_403_stays_for_the_wrong_role(client, member):
    login(client, member)
    assert client.get(reverse("signing:api_list")).status_code == 200
    response = client.post(reverse("versions:api_publish", args=["x"]))
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("page_size=abc", "page_size", "A valid integer is required."),
        ("page_size=0", "page_size", "Ensure this value is greater than or equal to 1."),
        ("page_size=201", "page_size", "Ensure this value is less than or equal to 200."),
        ("page=-3", "page", "Ensure this value is greater than or equal to 1."),
    ],
)
def test_malformed_paging_is_400_with_the_field_message(api, query, field, message):
    """They were silently replaced by the defaults, unlike on the sub-processor list."""
    response = api.get(reverse("changes:api_list") + "?" + query)
    assert response.status_code == 400
    assert response.json() == {field: [message]}


def test_empty_paging_values_mean_the_defaults_and_a_page_past_the_end_is_404(api):
    assert api.get(reverse("changes:api_list") + "?page=&page_size=").status_code == 200
    assert api.get(reverse("changes:api_list") + "?page=9").status_code == 404


def test_unmatched_api_path_is_json_404_and_pages_keep_the_html_one(client):
    response = client.get("/api/v1/access-requests/not-a-uuid/deny")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."}
    page = client.get("/no-such-page/")
    assert page.status_code == 404
    assert page["Content-Type"].startswith("text/html")


def test_pending_request_level_is_blank_and_documented_so(api, legal):
    AccessRequestFactory(nda_version=NdaVersionFactory())
    login(api, legal)
    assert api.get(reverse("trust:api_access_requests")).json()["results"][0]["level"] == ""
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    level = schema["components"]["schemas"]["AccessRequest"]["properties"]["level"]
    assert {"$ref": "#/components/schemas/Empty"} in level["oneOf"]


def test_blank_website_and_empty_filters_are_documented(client):
    SubprocessorFactory(website="")
    response = client.get(reverse("listing:api_list") + "?country=&search=&category=&status=")
    assert response.status_code == 200
    assert response.json()["results"][0]["website"] == ""
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    website = schema["components"]["schemas"]["Subprocessor"]["properties"]["website"]
    assert {"type": "string", "enum": [""]} in website["oneOf"]
    list_op = schema["paths"]["/api/v1/subprocessors/"]["get"]
    query = [p for p in list_op["parameters"] if p["in"] == "query"]
    assert all(p["allowEmptyValue"] for p in query)  # `?country=` is no filter, not a 400
    assert set(list_op["responses"]) == {"200", "304", "400", "404", "429"}
    assert {"ETag", "Last-Modified", "Cache-Control"} <= set(list_op["responses"]["200"]["headers"])


def test_every_operation_documents_its_error_answers(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    approve = schema["paths"]["/api/v1/access-requests/{public_id}/approve"]["post"]["responses"]
    assert set(approve) == {"200", "400", "401", "403", "404", "409", "413", "415"}  # 409: Idempotency-Key reused
    nda = schema["paths"]["/api/v1/nda/"]["get"]["responses"]
    assert set(nda) == {"200", "401", "404"}  # public, but an invalid token is still refused
    assert schema["paths"]["/api/v1/dpa/verify/"]["post"]["responses"]["429"]["headers"]["Retry-After"]


def test_a_repeated_page_parameter_is_400_not_the_last_value(client):
    response = client.get("/api/v1/subprocessors/", {"page_size": ["false", "1.0"]})
    assert response.status_code == 400
    assert response.json() == {"page_size": ["Give `page_size` once."]}
