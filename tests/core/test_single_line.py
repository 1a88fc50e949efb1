"""Single-line text refuses control characters (\\r \\n \\t \\x00 …, C1, U+2028/2029) in every form, serializer and
model of the project, while multi-line text keeps its newlines. The walks below find the classes themselves: a new
form, serializer or model field without the rule fails here."""

import importlib
import inspect
import pkgutil

import pytest
from django import forms
from django.apps import apps
from django.db import models
from django.urls import reverse
from rest_framework import serializers
from rest_framework.test import APIClient

from dpa.signing.models import DpaExecution
from portal.audit.models import AuditEvent
from portal.core.forms import PortalForm, PortalModelForm, SingleLineTextMixin
from portal.core.models import BaseModel
from portal.core.serializers import PortalModelSerializer, PortalSerializer, is_single_line_serializer_field
from portal.core.serializers import SingleLineTextMixin as SerializerSingleLineMixin
from portal.core.validators import SINGLE_LINE_REFUSED, is_single_line_form_field
from portal.delivery.models import OutboundEmail
from portal.organisations.forms import ContactsForm
from portal.organisations.models import Organisation
from portal.organisations.services import organisation_create
from portal.trust.models import AccessRequest
from portal.trust.services import access_request_submit
from tests.auth import login
from tests.organisations.factories import MembershipFactory, OrganisationFactory, UserFactory
from tests.trust.factories import NdaVersionFactory

pytestmark = pytest.mark.django_db

PACKAGES = ("portal", "dpa", "subprocessors")
BASES = (PortalForm, PortalModelForm, PortalSerializer, PortalModelSerializer)
INJECTION = "Acme\r\nBcc: victim@evil.example"


@pytest.mark.parametrize(
    "value",
    ["a\r\nb", "a\nb", "a\rb", "a\tb", "a\x00b", "a\x1bb", "a\x7fb", "a\x85b", "a\x9fb", "a\u2028b", "a\u2029b"],
)
def test_control_characters_are_refused(value):
    form = ContactsForm(data={"breach_contact_name": value})
    assert not form.is_valid()
    assert SINGLE_LINE_REFUSED in form.errors["breach_contact_name"]


def test_ordinary_text_passes():
    form = ContactsForm(data={"breach_contact_name": "Inès de Vries-O'Brien — SOC (24/7) 株式会社"})
    assert form.is_valid(), form.errors


# --- the walks ---------------------------------------------------------------------------------------------------


def _project_modules():
    for package in PACKAGES:
        root = importlib.import_module(package)
        yield root
        for info in pkgutil.walk_packages(root.__path__, prefix=f"{package}."):
            if ".migrations" in info.name or info.name.endswith(("wsgi", "asgi")):
                continue
            yield importlib.import_module(info.name)


def _project_classes(base):
    seen = {}
    for module in _project_modules():
        for _name, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, base) and cls.__module__.startswith(PACKAGES) and cls not in BASES:
                seen[f"{cls.__module__}.{cls.__qualname__}"] = cls
    return dict(sorted(seen.items()))


def _instantiate(cls, **kwargs):
    """A form or serializer whose constructor wants more than data: give it what the project's views give it."""
    params = inspect.signature(cls.__init__).parameters
    extra = {}
    if "user" in params:
        extra["user"] = UserFactory()
    if "choices" in params:
        extra["choices"] = ()
    if "organisations" in params:
        extra["organisations"] = Organisation.objects.none()
    return cls(**kwargs, **extra)


def test_every_form_refuses_control_characters_in_its_single_line_fields():
    project_forms = _project_classes(forms.BaseForm)
    assert len(project_forms) > 30, "the walk found too few forms"
    missing = [name for name, cls in project_forms.items() if not issubclass(cls, SingleLineTextMixin)]
    assert not missing, f"Derive these from portal.core.forms.PortalForm / PortalModelForm: {missing}"
    for name, cls in project_forms.items():
        single = [f for f, field in cls.base_fields.items() if is_single_line_form_field(field)]
        form = _instantiate(cls, data=dict.fromkeys(single, INJECTION))
        form.is_valid()
        for field in single:
            if field in form.fields:  # a form may drop a field in __init__ (e.g. no organisations to choose)
                assert SINGLE_LINE_REFUSED in form.errors.get(field, []), f"{name}.{field} accepts control characters"


def test_every_serializer_refuses_control_characters_in_its_single_line_fields():
    project_serializers = _project_classes(serializers.BaseSerializer)
    assert len(project_serializers) > 10, "the walk found too few serializers"
    missing = [name for name, cls in project_serializers.items() if not issubclass(cls, SerializerSingleLineMixin)]
    assert not missing, f"Derive these from portal.core.serializers.PortalSerializer / PortalModelSerializer: {missing}"
    checked = 0
    for name, cls in project_serializers.items():
        single = [f for f, field in cls().fields.items() if is_single_line_serializer_field(field)]
        serializer = cls(data=dict.fromkeys(single, INJECTION))
        serializer.is_valid()
        for field in single:
            errors = [str(e) for e in serializer.errors.get(field, [])]
            assert SINGLE_LINE_REFUSED in errors, f"{name}.{field} accepts control characters"
            checked += 1
    assert checked > 10


def test_every_model_char_field_refuses_control_characters():
    checked = 0
    for model in apps.get_models():
        if not issubclass(model, BaseModel):
            continue
        for field in model._meta.concrete_fields:
            if not isinstance(field, models.CharField) or field.choices:
                continue
            instance = model()
            setattr(instance, field.attname, INJECTION)
            try:
                instance.clean_fields()
            except Exception as exc:  # noqa: BLE001 - inspected below
                errors = getattr(exc, "message_dict", {})
            else:
                errors = {}
            refused = SINGLE_LINE_REFUSED in errors.get(field.name, [])
            allowed = field.name in model.control_characters_allowed
            assert refused != allowed, f"{model.__name__}.{field.name}"
            checked += 1
    assert checked > 30


def test_multi_line_fields_keep_their_newlines():
    class Notes(PortalForm):
        title = forms.CharField()
        body = forms.CharField(widget=forms.Textarea)

    form = Notes(data={"title": "Minutes", "body": "Line one\r\nLine two\tindented"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["body"] == "Line one\r\nLine two\tindented"


# --- organisation names, end to end -------------------------------------------------------------------------------


def test_an_organisation_name_with_a_line_break_is_a_form_error_and_changes_nothing(client, mailoutbox):
    # given a signed-in customer
    user = UserFactory()
    client.force_login(user)
    # when they create an organisation whose name would add a header to emails about it
    response = client.post(reverse("organisations:new"), {"name": INJECTION, "privacy_contact_email": ""})
    # then the form says why, and there is no organisation, membership, audit event or email
    assert response.status_code == 200
    assert SINGLE_LINE_REFUSED in response.content.decode().replace("&#x27;", "'")
    assert not Organisation.objects.exists()
    assert not user.memberships.exists()
    assert not AuditEvent.objects.exists()
    assert not OutboundEmail.objects.exists()
    assert mailoutbox == []


def test_a_contact_name_with_a_line_break_is_refused(client, org, mailoutbox):
    admin = MembershipFactory(organisation=org, role="admin").user
    client.force_login(admin)
    before = org.breach_contact_name
    client.post(
        reverse("organisations:contacts", args=[org.public_id]),
        {"privacy_contact_email": "dpo@acme.example", "breach_contact_name": INJECTION},
    )
    org.refresh_from_db()
    assert org.breach_contact_name == before
    assert not AuditEvent.objects.exists()
    assert mailoutbox == []


def test_staff_cannot_set_an_email_domain_with_a_line_break(client, legal, org):
    login(client, legal)
    response = client.post(
        reverse("organisations:staff_edit", args=[org.public_id]), {"tier": "enterprise", "email_domain": INJECTION}
    )
    assert response.status_code == 400
    org.refresh_from_db()
    assert org.email_domain == ""
    assert not AuditEvent.objects.exists()


def test_services_refuse_control_characters_without_a_form(db):
    # a name that reaches organisation_create from elsewhere (a command, an import) is refused by full_clean
    with pytest.raises(Exception, match="one line of text"):
        organisation_create(name=INJECTION, creator=UserFactory())
    assert not Organisation.objects.exists()


def test_the_django_admin_refuses_an_organisation_name_with_a_line_break(client, db):
    admin = UserFactory(email="root@processor.example")
    admin.is_staff = admin.is_superuser = True
    admin.save()
    from tests.organisations.factories import make_legal

    make_legal(admin)
    organisation = OrganisationFactory(name="Acme B.V.")
    login(client, admin)
    url = reverse("admin:organisations_organisation_change", args=[organisation.pk])
    data = {
        "name": INJECTION,
        "tier": organisation.tier,
        "email_domain": "",
        "privacy_contact_email": organisation.privacy_contact_email,
        "breach_contact_name": "",
        "breach_contact_email": "",
        "breach_contact_phone": "",
        "memberships-TOTAL_FORMS": "0",
        "memberships-INITIAL_FORMS": "0",
    }
    response = client.post(url, data)
    assert response.status_code == 200
    organisation.refresh_from_db()
    assert organisation.name == "Acme B.V."


# --- the API -------------------------------------------------------------------------------------------------------


def test_the_api_answers_400_with_the_field_message_and_keeps_multi_line_text():
    api = APIClient()
    api.force_authenticate(UserFactory())
    nda = NdaVersionFactory()
    body = {"company": "Globex", "reason": "Review\nof the TOMs", "nda_version": nda.version, "accept_nda": True}
    # a single-line field with a line break is refused
    refused = api.post(
        reverse("trust:api_access_requests"), {**body, "job_role": "CISO\r\nX-Injected: 1"}, format="json"
    )
    assert refused.status_code == 400
    assert refused.json() == {"job_role": [SINGLE_LINE_REFUSED]}
    assert not AccessRequest.objects.exists()
    # the multi-line reason keeps its newline
    created = api.post(reverse("trust:api_access_requests"), {**body, "job_role": "CISO"}, format="json")
    assert created.status_code == 201
    assert AccessRequest.objects.get().reason == "Review\nof the TOMs"


def test_the_api_refuses_a_signatory_name_with_a_line_break(org_admin, org):
    api = APIClient()
    api.force_authenticate(org_admin)
    response = api.post(
        reverse("signing:api_list"),
        {
            "organisation": str(org.public_id),
            "signatory_name": INJECTION,
            "signatory_title": "CEO",
            "signatory_email": "ceo@acme.example",
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {"signatory_name": [SINGLE_LINE_REFUSED]}
    assert not DpaExecution.objects.exists()


def test_a_user_agent_header_is_stored_as_sent(nda_user):
    # machine fields keep what the client sent (a tab is legal in a header); people's text does not
    user, nda = nda_user
    request = access_request_submit(
        user=user,
        company="Acme",
        job_role="DPO",
        reason="Audit",
        nda_version=nda,
        nda_accepted=True,
        ip="203.0.113.5",
        user_agent="Agent\t1.0",
    )
    assert request.nda_user_agent == "Agent\t1.0"


@pytest.fixture
def nda_user(db):
    return UserFactory(), NdaVersionFactory()


def test_a_slug_with_a_nul_byte_is_the_fields_400_not_a_database_error(legal):
    """Schemathesis found it: PostgreSQL refuses a NUL byte in a query, so the lookup must not run."""
    from rest_framework.test import APIClient

    from dpa.breaches.models import BreachIncident
    from tests.auth import staff_token

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {staff_token(legal)}")
    response = api.post(
        "/api/v1/staff/breaches/",
        {"title": "x", "scope": "subprocessor", "subprocessor": "aws\x00", "organisations": ["\x00"]},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["subprocessor"] == [SINGLE_LINE_REFUSED]
    assert not BreachIncident.objects.exists()


def test_a_number_where_text_is_expected_is_400_not_stringified(legal):
    from rest_framework.test import APIClient

    from portal.core.serializers import TEXT_EXPECTED
    from portal.knowledge.models import Entry, Topic
    from tests.auth import staff_token

    Topic.objects.create(name="Encryption", slug="encryption")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {staff_token(legal)}")
    response = api.post(
        "/api/v1/staff/faq/entries/", {"topic": "encryption", "question": 0.5, "answer": True}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["question"] == [TEXT_EXPECTED]
    assert response.json()["answer"] == [TEXT_EXPECTED]
    assert not Entry.objects.exists()
