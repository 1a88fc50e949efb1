from django.apps import AppConfig


class OrganisationsConfig(AppConfig):
    """Customer organisations, their members and invitations, API tokens, staff roles and MFA rules."""

    name = "portal.organisations"
    label = "organisations"
    verbose_name = "Organisations and accounts"

    def ready(self):
        from portal.organisations import receivers  # noqa: F401  (revokes tokens on password change, MFA removal)
