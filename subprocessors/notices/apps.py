from django.apps import AppConfig


class NoticesConfig(AppConfig):
    """Proof of notice of a change (per recipient, PDF and CSV) and the staff's notice actions: postpone, notify
    another contact of an organisation."""

    name = "subprocessors.notices"
    label = "notices"
    verbose_name = "Proof of notice"
