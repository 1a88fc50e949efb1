import pytest
from django.core.cache import cache

from subprocessors.listing.demo import load_demo
from subprocessors.listing.models import Subprocessor
from subprocessors.listing.serializers import PUBLIC_FIELDS
from subprocessors.listing.services import subprocessor_update
from tests.listing.factories import SubprocessorFactory, make_subprocessor

pytestmark = pytest.mark.django_db

URL = "/api/v1/subprocessors/"

CONTRACT_FIELDS = [
    "slug",
    "name",
    "legal_entity",
    "category",
    "purpose",
    "processes_customer_data",
    "customer_data_note",
    "location",
    "hq_country",
    "processing_region",
    "eea_only",
    "retains_prompts",
    "trains_on_data",
    "website",
    "status",
    "engaged_since",
    "retired_on",
]


@pytest.fixture
def demo(db):
    load_demo()


def slugs(response) -> list[str]:
    return [r["slug"] for r in response.json()["results"]]


def test_list_shape_is_the_public_contract(client, demo):
    response = client.get(URL)
    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["count", "next", "previous", "results"]
    assert body["count"] == 23
    assert body["next"] is None
    assert list(body["results"][0]) == CONTRACT_FIELDS
    assert list(PUBLIC_FIELDS) == CONTRACT_FIELDS
    first = body["results"][0]
    assert first == {
        "slug": "scaleway",
        "name": "Scaleway",
        "legal_entity": "Scaleway SAS",
        "category": "customer_data",
        "purpose": "Hosting and core infrastructure: compute, databases, networking, logs and monitoring",
        "processes_customer_data": True,
        "customer_data_note": "May process API traffic and API metadata transiently.",
        "location": "EU/EEA: compute and storage in nl-ams (Amsterdam); telemetry in fr-par (Paris).",
        "hq_country": "FR",
        "processing_region": "NL",
        "eea_only": True,
        "retains_prompts": False,
        "trains_on_data": False,
        "website": "https://www.scaleway.com",
        "status": "active",
        "engaged_since": "2026-05-04",
        "retired_on": None,
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("category=ai_provider", 11),
        ("eea_only=true", 16),
        ("eea_only=false", 7),
        ("retains_prompts=false", 23),
        ("trains_on_data=true", 0),
        ("country=us", 8),
        ("country=NL", 4),
        ("search=oauth", 2),
        ("category=ai_provider&country=US&eea_only=true", 2),
        ("category=controller_data&search=email", 2),
    ],
)
def test_filters_singly_and_combined(client, demo, query, expected):
    response = client.get(f"{URL}?{query}")
    assert response.status_code == 200
    assert response.json()["count"] == expected


def test_status_defaults_to_active_and_never_shows_proposed(client, db):
    make_subprocessor(slug="live")
    gone = make_subprocessor(slug="gone")
    subprocessor_update(subprocessor=gone, data={"status": "retired"}, actor=None)
    SubprocessorFactory(slug="secret", status="proposed")
    assert slugs(client.get(URL)) == ["live"]
    assert slugs(client.get(URL + "?status=retired")) == ["gone"]
    assert sorted(slugs(client.get(URL + "?status=all"))) == ["gone", "live"]
    retired = client.get(URL + "?status=retired").json()["results"][0]
    assert retired["status"] == "retired"
    assert retired["retired_on"] is not None


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("category=hosting", "category", '"hosting" is not a valid choice.'),
        ("eea_only=maybe", "eea_only", "Must be a valid boolean."),
        ("retains_prompts=2", "retains_prompts", "Must be a valid boolean."),
        ("trains_on_data=x", "trains_on_data", "Must be a valid boolean."),
        ("country=XX", "country", "Choose a country by its two-letter ISO code, e.g. NL or FR."),
        ("country=USA", "country", "Ensure this field has no more than 2 characters."),
        ("status=proposed", "status", '"proposed" is not a valid choice.'),
        ("page=0", "page", "Ensure this value is greater than or equal to 1."),
        ("page_size=201", "page_size", "Ensure this value is less than or equal to 200."),
        ("page_size=abc", "page_size", "A valid integer is required."),
        ("search=" + "a" * 101, "search", "Ensure this field has no more than 100 characters."),
    ],
)
def test_invalid_values_answer_400_with_field_message(client, demo, query, field, message):
    response = client.get(f"{URL}?{query}")
    assert response.status_code == 400
    assert response.json() == {field: [message]}


def test_pagination(client, db):
    Subprocessor.objects.bulk_create([SubprocessorFactory.build(slug=f"p{i:03}", name=f"P{i:03}") for i in range(250)])
    body = client.get(URL + "?page_size=200").json()
    assert body["count"] == 250
    assert len(body["results"]) == 200
    assert body["next"] == "http://testserver/api/v1/subprocessors/?page=2&page_size=200"
    second = client.get(URL + "?page=2&page_size=200").json()
    assert len(second["results"]) == 50
    assert second["previous"] == "http://testserver/api/v1/subprocessors/?page_size=200"
    assert len(client.get(URL).json()["results"]) == 50
    assert client.get(URL + "?page=9").status_code == 404


def test_detail_by_slug_and_404(client, demo):
    response = client.get(URL + "mistral-ai/")
    assert response.status_code == 200
    assert list(response.json()) == CONTRACT_FIELDS
    assert response.json()["hq_country"] == "FR"
    assert client.get(URL + "no-such-provider/").status_code == 404


def test_detail_hides_proposed_rows(client, db):
    SubprocessorFactory(slug="secret", status="proposed")
    assert client.get(URL + "secret/").status_code == 404


def test_etag_and_last_modified_honour_conditional_requests(client, demo):
    first = client.get(URL)
    etag, last_modified = first["ETag"], first["Last-Modified"]
    assert etag.startswith('"')
    assert last_modified.endswith("GMT")
    assert client.get(URL, HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert client.get(URL, HTTP_IF_MODIFIED_SINCE=last_modified).status_code == 304
    assert client.get(URL, HTTP_IF_NONE_MATCH='"other"').status_code == 200
    detail = client.get(URL + "brevo/")
    assert client.get(URL + "brevo/", HTTP_IF_NONE_MATCH=detail["ETag"]).status_code == 304


def test_etag_changes_when_the_list_changes(client, db, django_capture_on_commit_callbacks):
    sp = make_subprocessor(name="Before")
    etag = client.get(URL)["ETag"]
    with django_capture_on_commit_callbacks(execute=True):
        subprocessor_update(subprocessor=sp, data={"name": "After"}, actor=None)
    response = client.get(URL, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    assert response.json()["results"][0]["name"] == "After"


def test_anonymous_reads_are_throttled_per_ip(client, db, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"anon": "3/min", "user": "9/min"}}
    from rest_framework.settings import api_settings
    from rest_framework.throttling import AnonRateThrottle

    api_settings.reload()
    AnonRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
    try:
        cache.clear()
        # distinct queries, each rendered by the view: the throttle bounds the work a client can cause
        codes = [client.get(URL, {"search": f"x{i}"}, REMOTE_ADDR="198.51.100.7").status_code for i in range(4)]
        assert codes == [200, 200, 200, 429]
        assert client.get(URL, {"search": "x9"}, REMOTE_ADDR="198.51.100.8").status_code == 200
        # an answer already in the page cache is served like a static file, without counting against anyone
        assert client.get(URL, {"search": "x0"}, REMOTE_ADDR="198.51.100.7").status_code == 200
    finally:
        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK}
        api_settings.reload()
        AnonRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES


def test_constant_queries_with_500_rows(client, db, django_assert_max_num_queries):
    Subprocessor.objects.bulk_create([SubprocessorFactory.build(slug=f"p{i}", name=f"P{i}") for i in range(500)])
    with django_assert_max_num_queries(3):  # count, page, last modified
        assert client.get(URL + "?page_size=200").status_code == 200


def test_xss_name_is_plain_json(client, db):
    make_subprocessor(name="<script>alert(1)</script>")
    response = client.get(URL)
    assert response["Content-Type"] == "application/json"
    assert response.json()["results"][0]["name"] == "<script>alert(1)</script>"


def test_openapi_schema_and_docs(client, db):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    doc = schema.json()
    assert doc["openapi"].startswith("3.")
    params = {p["name"] for p in doc["paths"]["/api/v1/subprocessors/"]["get"]["parameters"]}
    assert {"category", "eea_only", "retains_prompts", "trains_on_data", "country", "search", "status"} <= params
    assert {"page", "page_size"} <= params
    assert "/api/v1/subprocessors/{slug}/" in doc["paths"]
    props = doc["components"]["schemas"]["Subprocessor"]["properties"]
    assert list(props) == CONTRACT_FIELDS
    assert client.get("/api/docs/").status_code == 200


def test_browsable_api_renders_for_browsers(client, demo):
    response = client.get(URL, HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert "mistral-ai" in response.content.decode()
