from django.apps import AppConfig


class OrganisationsConfig(AppConfig):
    """Customer organisations, their members and invitations, API tokens, staff roles and MFA rules."""

    name = "portal.organisations"
    label = "organisations"
    verbose_name = "Organisations and accounts"

    def ready(self):
        from portal.organisations import receivers  # noqa: F401  (revokes tokens on password change, MFA removal)

    def load_demo(self):
        from portal.organisations import demo

        logins = demo.load()
        return [
            f"Logins (password for all: {demo.DEMO_PASSWORD}):",
            *(f"  {email:32} {what}" for email, what in logins),
        ]
