"""Every view in the URLconf, requested by people who must not see the victim organisation's data.

The URLconf is walked, not listed by hand: a new view without a sample in `samples.py` fails here.
"""

from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Group
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from portal.delivery.outbox import email_queue_raw
from portal.organisations.models import Organisation
from tests.auth import login
from tests.organisations.factories import MembershipFactory, OrganisationFactory, UserFactory, make_legal
from tests.security.samples import MARKER, PUBLIC, SAMPLES, SKIP_PREFIXES, STAFF_API
from tests.signing.factories import DpaVersionFactory

pytestmark = pytest.mark.django_db

REFUSED = {301, 302, 303, 401, 403, 404, 405}


def _walk(patterns, prefix="", namespace=""):
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry.url_patterns, route, inner)
        elif isinstance(entry, URLPattern):
            yield route, (f"{namespace}{entry.name}" if entry.name else None)


def named_views():
    views = {}
    for route, name in _walk(get_resolver().url_patterns):
        if route.startswith(SKIP_PREFIXES):
            continue
        views.setdefault(name, route)
    return views


def test_every_view_has_a_sample():
    views = named_views()
    assert None not in views, f"Unnamed view at {views.get(None)}: name it so it can be covered"
    missing = sorted(name for name in views if name not in SAMPLES)
    assert not missing, f"Add samples in tests/security/samples.py for: {missing}"


@pytest.fixture
def world(db):
    org = OrganisationFactory(
        name=f"Victim {MARKER} B.V.",
        tier=Organisation.Tier.ENTERPRISE,
        privacy_contact_email=f"{MARKER}@victim.example",
        breach_contact_email=f"{MARKER}-soc@victim.example",
        breach_contact_name=f"{MARKER} desk",
    )
    membership = MembershipFactory(
        organisation=org, role="admin", user=UserFactory(email=f"admin-{MARKER}@victim.example")
    )
    # A draft DPA version: only staff whose login passed MFA may read it (API list and detail included).
    DpaVersionFactory(label="2099.9", title=f"Draft {MARKER}", change_summary=f"Draft {MARKER}")
    email = email_queue_raw(key=f"{MARKER}-mail", to=f"{MARKER}@victim.example", subject=MARKER, text=MARKER)
    return SimpleNamespace(org=org, admin=membership.user, membership=membership, outbound_email=email)


def _outsiders():
    other = MembershipFactory(
        organisation=OrganisationFactory(name="Outsider Enterprise", tier=Organisation.Tier.ENTERPRISE),
        role="admin",
    ).user
    self_serve = MembershipFactory(
        organisation=OrganisationFactory(name="Outsider Self-serve", tier=Organisation.Tier.SELF_SERVE),
        role="admin",
    ).user
    # Someone on the processor's side (Django staff flag) who is not in the legal group.
    non_legal_staff = UserFactory(email="support@processor.example", is_staff=True)
    assert not non_legal_staff.groups.filter(pk__in=Group.objects.filter(name="legal")).exists()
    # Legal staff who never set up TOTP, and a superuser with TOTP whose session signed in with the password
    # only (as the Django admin's own login form did): neither may see any staff data.
    legal_without_mfa = make_legal(UserFactory(email="new-counsel@processor.example"), mfa=False)
    superuser = make_legal(UserFactory(email="root@processor.example", is_staff=True, is_superuser=True))
    return {
        "anonymous": None,
        "other organisation": other,
        "self-serve organisation": self_serve,
        "non-legal staff": non_legal_staff,
        "legal without MFA": legal_without_mfa,
        "superuser, password-only session": superuser,
    }


def is_staff_view(name: str, url: str) -> bool:
    """Staff pages, the admin, and API operations only staff may call."""
    return url.startswith(("/staff/", "/admin/", "/api/v1/staff/")) or name in STAFF_API


def _check(client, url, who, name, method):
    response = getattr(client, method)(url)
    body = response.content.decode(errors="replace") if not getattr(response, "streaming", False) else ""
    problems = []
    if response.status_code >= 500:
        problems.append(f"{method.upper()} {url} as {who}: {response.status_code}")
    if MARKER in body or MARKER in response.get("Location", ""):
        problems.append(f"{method.upper()} {url} as {who}: response contains the victim's data")
    if getattr(response, "streaming", False) and response.status_code == 200:
        problems.append(f"{method.upper()} {url} as {who}: streamed a file")
    if name not in PUBLIC and who == "anonymous" and response.status_code not in REFUSED:
        problems.append(f"{method.upper()} {url} as anonymous: {response.status_code}, expected a refusal")
    if is_staff_view(name, url) and response.status_code not in REFUSED:
        problems.append(f"{method.upper()} {url} as {who}: {response.status_code}, expected a refusal")
    return problems


def test_outsiders_get_nothing_private(client, world, settings):
    settings.DEBUG_PROPAGATE_EXCEPTIONS = False
    problems = []
    views = named_views()
    urls = {name: reverse(name, kwargs=SAMPLES[name](world)) for name in views if name in SAMPLES}
    for who, user in _outsiders().items():
        client.logout()
        if user is not None:
            client.force_login(user)  # a password-only session: no second factor in this login
        for name, url in urls.items():
            for method in ("get", "post"):
                problems.extend(_check(client, url, who, name, method))
    assert not problems, "\n".join(problems)


def test_the_check_sees_a_leak_when_there_is_one(client, world):
    """Guard against a check that cannot fail: the victim's own admin does see the marker."""
    login(client, world.admin)
    url = reverse("organisations:detail", kwargs=SAMPLES["organisations:detail"](world))
    assert _check(client, url, "victim admin", "organisations:detail", "get")
    client.logout()
    assert _check(client, reverse("staff:audit"), "anonymous", "staff:audit", "get") == []
