"""Demo users and organisations. Idempotent: running it again changes nothing."""

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from portal.organisations.models import Membership, Organisation

# Demo-only credentials, printed by `make run`; load_demo refuses to run with DEBUG off.
DEMO_PASSWORD = "demo-portal-2026"  # nosec B105
DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # nosec B105

LEGAL_EMAIL = "legal@portal.example"
ENTERPRISE_ADMIN = "anna@acme-health.example"
ENTERPRISE_MEMBER = "ben@acme-health.example"
SELF_SERVE_ADMIN = "sam@tinyapps.example"


def demo_user(email: str, *, verified: bool = True):
    User = get_user_model()
    user, created = User.objects.get_or_create(email=email, defaults={"username": email})
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save()
    EmailAddress.objects.update_or_create(user=user, email=email, defaults={"verified": verified, "primary": True})
    return user


def load() -> list[tuple[str, str]]:
    legal = demo_user(LEGAL_EMAIL)
    legal.groups.add(Group.objects.get(name="legal"))
    if not Authenticator.objects.filter(user=legal, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(legal, DEMO_TOTP_SECRET)

    acme, _ = Organisation.objects.get_or_create(
        name="Acme Health B.V.",
        defaults={
            "tier": Organisation.Tier.ENTERPRISE,
            "email_domain": "acme-health.example",
            "privacy_contact_email": "privacy@acme-health.example",
            "breach_contact_name": "Ines de Vries",
            "breach_contact_email": "security@acme-health.example",
            "breach_contact_phone": "+31 20 555 0100",
        },
    )
    tiny, _ = Organisation.objects.get_or_create(
        name="TinyApps",
        defaults={
            "tier": Organisation.Tier.SELF_SERVE,
            "email_domain": "tinyapps.example",
            "privacy_contact_email": "privacy@tinyapps.example",
        },
    )
    for email, org, role in (
        (ENTERPRISE_ADMIN, acme, Membership.Role.ADMIN),
        (ENTERPRISE_MEMBER, acme, Membership.Role.MEMBER),
        (SELF_SERVE_ADMIN, tiny, Membership.Role.ADMIN),
    ):
        Membership.objects.get_or_create(user=demo_user(email), organisation=org, defaults={"role": role})
    return [
        (LEGAL_EMAIL, f"legal staff; TOTP secret {DEMO_TOTP_SECRET} (add it to an authenticator app)"),
        (ENTERPRISE_ADMIN, "admin of Acme Health B.V. (enterprise)"),
        (ENTERPRISE_MEMBER, "member of Acme Health B.V. (enterprise)"),
        (SELF_SERVE_ADMIN, "admin of TinyApps (self-serve)"),
    ]
