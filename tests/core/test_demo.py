import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from portal.organisations.demo import DEMO_PASSWORD
from portal.organisations.models import Organisation

pytestmark = pytest.mark.django_db


def test_demo_loads_twice_without_duplicates(settings, capsys, tmp_path):
    settings.DEBUG = True
    settings.PORTAL_SIGNING_DEMO_DIR = tmp_path / "demo-signing"  # a fresh one, whatever ran before
    call_command("load_demo")
    first = (get_user_model().objects.count(), Organisation.objects.count())
    call_command("load_demo")
    assert (get_user_model().objects.count(), Organisation.objects.count()) == first
    out = capsys.readouterr().out
    assert DEMO_PASSWORD in out
    legal = get_user_model().objects.get(groups__name="legal")
    assert legal.check_password(DEMO_PASSWORD)
    assert legal.email in out
    call_command("verify_audit_log")
    # The demo CA: created by the first run, kept by the second, named as a demo in the output.
    demo_dir = settings.PORTAL_SIGNING_DEMO_DIR
    assert sorted(p.name for p in demo_dir.iterdir()) == ["chain.pem", "signing-cert.pem", "signing-key.pem"]
    assert "DEMO ONLY certificate (created in" in out
    assert "DEMO ONLY certificate (kept in" in out


def test_demo_refuses_to_run_without_debug(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="Refusing"):
        call_command("load_demo")
    assert not get_user_model().objects.exists()
