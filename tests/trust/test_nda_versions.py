import pytest
from django.urls import reverse

from portal.audit.models import AuditEvent
from portal.trust.models import NdaVersion
from tests.auth import login
from tests.organisations.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

NEW = {"version": "2026-12", "title": "Mutual NDA", "body": "Both parties keep the documents confidential."}


def test_legal_publishes_a_new_nda_which_requesters_then_accept(client, legal, nda):
    login(client, legal)
    page = client.get(reverse("trust:staff_nda_versions"))
    assert page.status_code == 200
    assert nda.version in page.content.decode()
    response = client.post(reverse("trust:staff_nda_versions"), NEW)
    assert response.status_code == 302
    new = NdaVersion.objects.get(version="2026-12")
    event = AuditEvent.objects.get(action="nda.published")
    assert event.actor_id == legal.pk
    assert event.details == {"version": "2026-12", "previous": nda.version}
    # the request form now shows the new text
    login(client, UserFactory())
    form = client.get(reverse("trust:access_request")).content.decode()
    assert new.body in form
    assert nda.body not in form


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({**NEW, "version": "2026-01"}, "version", "already exists"),
        ({**NEW, "body": "   "}, "body", "This field is required"),
        ({**NEW, "version": ""}, "version", "This field is required"),
    ],
)
def test_bad_input_is_a_form_error_and_changes_nothing(client, legal, nda, data, field, message):
    login(client, legal)
    before = NdaVersion.objects.count()
    response = client.post(reverse("trust:staff_nda_versions"), data)
    assert response.status_code == 400
    assert message in response.context["form"].errors[field][0]
    assert NdaVersion.objects.count() == before
    assert not AuditEvent.objects.filter(action="nda.published").exists()


@pytest.mark.parametrize("who", ["anonymous", "customer admin", "non-legal staff"])
def test_only_legal_staff_can_publish(client, nda, who):
    if who == "customer admin":
        login(client, MembershipFactory(role="admin").user)
    elif who == "non-legal staff":
        login(client, UserFactory(is_staff=True))
    response = client.post(reverse("trust:staff_nda_versions"), NEW)
    assert response.status_code in (302, 403)
    if response.status_code == 302:
        assert "/accounts/" in response["Location"]
    assert not NdaVersion.objects.filter(version="2026-12").exists()
