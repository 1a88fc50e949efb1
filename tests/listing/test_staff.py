import pytest
from django.urls import reverse

from portal.audit.models import AuditEvent
from subprocessors.listing.models import Subprocessor, SubprocessorRevision
from subprocessors.listing.services import NOTICE_REQUIRED
from tests.auth import login
from tests.listing.factories import SubprocessorFactory, make_subprocessor
from tests.organisations.factories import UserFactory

pytestmark = pytest.mark.django_db


def form_data(**overrides) -> dict:
    data = {
        "slug": "phare",
        "name": "Phare.io",
        "legal_entity": "",
        "category": "controller_data",
        "purpose": "Status page",
        "customer_data_note": "Status-page data.",
        "location": "",
        "hq_country": "fr",
        "processing_region": "FR",
        "website": "https://phare.io",
        "status": "active",
        "engaged_since": "",
        "retired_on": "",
        "position": "10",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not False}


def edit_data(sp: Subprocessor, **overrides) -> dict:
    data = {
        "name": sp.name,
        "legal_entity": sp.legal_entity,
        "category": sp.category,
        "purpose": sp.purpose,
        "customer_data_note": sp.customer_data_note,
        "location": sp.location,
        "hq_country": sp.hq_country,
        "processing_region": sp.processing_region,
        "website": sp.website,
        "status": sp.status,
        "engaged_since": sp.engaged_since.isoformat() if sp.engaged_since else "",
        "retired_on": "",
        "position": str(sp.position),
    }
    for flag in ("processes_customer_data", "eea_only", "retains_prompts", "trains_on_data"):
        if getattr(sp, flag):
            data[flag] = "on"
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def sp(db):
    return make_subprocessor()


def staff_urls(sp):
    return [
        reverse("listing:staff_list"),
        reverse("listing:staff_new"),
        reverse("listing:staff_edit", args=[sp.slug]),
    ]


def test_anonymous_is_sent_to_login(client, sp):
    for url in staff_urls(sp):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("who", ["member", "other_member", "self_serve_admin", "non_legal_staff"])
def test_customers_and_non_legal_staff_are_refused(client, sp, who, request):
    if who == "self_serve_admin":
        from tests.organisations.factories import MembershipFactory, OrganisationFactory

        user = MembershipFactory(organisation=OrganisationFactory(tier="self_serve"), role="admin").user
    elif who == "non_legal_staff":
        from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

        user = UserFactory(is_staff=True)
        TOTP.activate(user, generate_totp_secret())  # past the MFA gate, so the legal check is what refuses
    else:
        user = request.getfixturevalue(who)
    login(client, user)
    for url in staff_urls(sp):
        assert client.get(url).status_code == 403
        assert client.post(url, form_data()).status_code == 403
    assert Subprocessor.objects.count() == 1


def test_legal_without_mfa_is_sent_to_set_it_up(client, sp, legal_no_mfa):
    login(client, legal_no_mfa)
    response = client.get(reverse("listing:staff_list"))
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/totp/activate/"


def test_list_shows_all_statuses_without_n_plus_one(client, legal, django_assert_max_num_queries):
    make_subprocessor(slug="a", name="Active One")
    SubprocessorFactory(slug="p", name="Proposed One", status="proposed")
    SubprocessorFactory.create_batch(30)
    login(client, legal)
    client.get(reverse("listing:staff_list"))  # warm the session and permission caches
    with django_assert_max_num_queries(12):
        response = client.get(reverse("listing:staff_list"))
    html = response.content.decode()
    assert "Active One" in html
    assert "Proposed One" in html
    assert "Proposed One" not in client.get(reverse("listing:staff_list") + "?status=active").content.decode()


def test_legal_adds_controller_data_provider(client, legal):
    login(client, legal)
    response = client.post(reverse("listing:staff_new"), form_data())
    assert response.status_code == 302
    sp = Subprocessor.objects.get(slug="phare")
    assert sp.hq_country == "FR"
    assert sp.status == "active"
    rev = SubprocessorRevision.objects.get()
    assert rev.actor == legal
    assert rev.public
    assert AuditEvent.objects.filter(action="subprocessor.created", actor_label=legal.email).count() == 1
    assert "Phare.io" in client.get("/subprocessors/").content.decode()


def test_adding_active_customer_data_processor_points_to_change_notice(client, legal):
    login(client, legal)
    response = client.post(
        reverse("listing:staff_new"),
        form_data(category="ai_provider", processes_customer_data="on", slug="newai", name="New AI"),
    )
    assert response.status_code == 400
    assert NOTICE_REQUIRED in response.content.decode()
    assert not Subprocessor.objects.exists()
    assert not AuditEvent.objects.exists()


def test_proposed_customer_data_processor_can_be_prepared(client, legal):
    login(client, legal)
    response = client.post(
        reverse("listing:staff_new"),
        form_data(category="ai_provider", processes_customer_data="on", slug="newai", status="proposed"),
    )
    assert response.status_code == 302
    assert Subprocessor.objects.get(slug="newai").status == "proposed"
    assert "New AI" not in client.get("/subprocessors/").content.decode()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"hq_country": "XX"}, "hq_country", "is not an ISO 3166-1 alpha-2 country code"),
        ({"processing_region": "QQ"}, "processing_region", "or EU for the European Union"),
        ({"website": "javascript:alert(1)"}, "website", "Enter a valid URL."),
        ({"slug": "new"}, "slug", "is reserved"),
        ({"slug": "Not A Slug"}, "slug", "Enter a valid"),
        ({"name": ""}, "name", "This field is required."),
        ({"category": "nonsense"}, "category", "Select a valid choice."),
        ({"status": "retired"}, "retired_on", None),
    ],
)
def test_bad_input_is_a_form_error_and_changes_nothing(client, legal, overrides, field, message):
    login(client, legal)
    response = client.post(reverse("listing:staff_new"), form_data(**overrides))
    if field == "retired_on":
        # retiring on creation fills in the date: allowed
        assert response.status_code == 302
        return
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Subprocessor.objects.exists()
    assert not AuditEvent.objects.exists()


def test_duplicate_slug_is_a_form_error(client, legal, sp):
    login(client, legal)
    response = client.post(reverse("listing:staff_new"), form_data(slug=sp.slug))
    assert response.status_code == 400
    assert "already exists" in response.content.decode()


def test_typo_edit_on_active_customer_data_row_is_allowed_and_in_history(client, legal, sp):
    login(client, legal)
    response = client.post(
        reverse("listing:staff_edit", args=[sp.slug]), edit_data(sp, purpose="AI model processing (EU)")
    )
    assert response.status_code == 302
    sp.refresh_from_db()
    assert sp.purpose == "AI model processing (EU)"
    rev = SubprocessorRevision.objects.order_by("-id").first()
    assert rev.changed_fields == ["purpose"]
    assert rev.actor == legal
    event = AuditEvent.objects.get(action="subprocessor.changed")
    assert event.details["after"] == {"purpose": "AI model processing (EU)"}
    history = client.get(reverse("listing:history")).content.decode()
    assert "<ins>AI model processing (EU)</ins>" in history
    page = client.get(reverse("listing:staff_edit", args=[sp.slug])).content.decode()
    assert legal.email in page


@pytest.mark.parametrize(
    "overrides",
    [{"legal_entity": "Someone Else Ltd"}, {"hq_country": "US"}, {"processing_region": "US"}, {"eea_only": None}],
)
def test_replacing_active_customer_data_processor_is_refused(client, legal, sp, overrides):
    login(client, legal)
    data = edit_data(sp, **{k: v for k, v in overrides.items() if v is not None})
    if overrides.get("eea_only", "x") is None:
        data.pop("eea_only")
    response = client.post(reverse("listing:staff_edit", args=[sp.slug]), data)
    assert response.status_code == 400
    assert NOTICE_REQUIRED in response.content.decode()
    assert SubprocessorRevision.objects.count() == 1
    sp.refresh_from_db()
    assert (sp.legal_entity, sp.hq_country, sp.eea_only) == ("Mistral AI SAS", "FR", True)


def test_saving_without_changes_records_nothing(client, legal, sp):
    login(client, legal)
    response = client.post(reverse("listing:staff_edit", args=[sp.slug]), edit_data(sp))
    assert response.status_code == 302
    assert SubprocessorRevision.objects.count() == 1


def test_retiring_from_staff_page(client, legal, sp):
    login(client, legal)
    response = client.post(reverse("listing:staff_edit", args=[sp.slug]), edit_data(sp, status="retired"))
    assert response.status_code == 302
    sp.refresh_from_db()
    assert sp.status == "retired"
    assert sp.retired_on is not None
    assert "Showing 0 of 0" in client.get("/subprocessors/").content.decode()


def test_unknown_slug_is_404(client, legal):
    login(client, legal)
    assert client.get(reverse("listing:staff_edit", args=["nope"])).status_code == 404


def test_staff_nav_lists_subprocessors(client, legal):
    login(client, legal)
    assert 'href="/staff/subprocessors/"' in client.get(reverse("staff:home")).content.decode()
