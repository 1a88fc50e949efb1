"""Error pages in the portal's layout, with DEBUG off: what a visitor sees on 400, 403, 404, 429 and 500, and
pages that keep rendering when static files were never collected."""

import subprocess
import sys
from pathlib import Path

import pytest
from django.template.loader import render_to_string
from django.test import Client

from tests.auth import login

ROOT = Path(__file__).resolve().parents[2]
MANIFEST_STORAGE = {"BACKEND": "portal.core.staticfiles.PortalStaticFilesStorage"}


@pytest.fixture
def failing_client(settings):
    settings.ROOT_URLCONF = "tests.core.error_urls"
    return Client(raise_request_exception=False)


def _in_layout(body: str) -> None:
    assert 'class="site-header"' in body
    assert 'href="/"' in body
    assert "/static/css/portal.css" in body


@pytest.mark.django_db
def test_404_is_a_branded_page_with_a_way_back(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    body = response.content.decode()
    _in_layout(body)
    assert "We could not find that page" in body
    assert 'href="/subprocessors/"' in body


@pytest.mark.django_db
def test_api_404_stays_json(client):
    response = client.get("/api/v1/no-such-endpoint/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


@pytest.mark.django_db
def test_403_names_the_account_and_what_to_do(client, member):
    login(client, member)
    response = client.get("/staff/")
    assert response.status_code == 403
    body = response.content.decode()
    _in_layout(body)
    assert "You cannot open this page" in body
    assert member.email in body


@pytest.mark.django_db
def test_expired_form_is_explained_not_a_bare_csrf_error(member):
    client = Client(enforce_csrf_checks=True)
    login(client, member)
    response = client.post("/accounts/logout/")
    assert response.status_code == 403
    body = response.content.decode()
    _in_layout(body)
    assert "This form has expired" in body
    assert "Nothing was saved" in body


@pytest.mark.django_db
def test_400_is_branded(failing_client):
    response = failing_client.get("/test-suspicious/")
    assert response.status_code == 400
    body = response.content.decode()
    _in_layout(body)
    assert "We could not understand that request" in body


@pytest.mark.django_db
def test_disallowed_host_is_a_branded_400(client):
    response = client.get("/", HTTP_HOST="attacker.example")
    assert response.status_code == 400
    assert "We could not understand that request" in response.content.decode()


@pytest.mark.django_db
def test_500_is_branded_and_says_nothing_of_the_error(failing_client):
    response = failing_client.get("/test-boom/")
    assert response.status_code == 500
    body = response.content.decode()
    _in_layout(body)
    assert "Something went wrong on our side" in body
    assert "a bug" not in body
    assert "Traceback" not in body


@pytest.mark.django_db
def test_api_500_is_json(failing_client):
    response = failing_client.get("/api/v1/test-boom/")
    assert response.status_code == 500
    assert response.json() == {"detail": "Server error."}


@pytest.mark.django_db
def test_500_still_renders_when_the_layout_cannot(failing_client, monkeypatch):
    """The usual cause of a 500 (the database) also breaks the layout's context; the plain page still answers."""

    def broken(*args, **kwargs):
        raise RuntimeError("database unavailable")

    monkeypatch.setattr("portal.core.context_processors._nav", broken)
    response = failing_client.get("/test-boom/")
    assert response.status_code == 500
    body = response.content.decode()
    assert "Something went wrong on our side" in body
    assert "Back to the home page" in body


def test_429_template_for_allauth_limits():
    body = render_to_string("429.html")
    assert "Too many requests" in body
    assert "Error 429" in body


@pytest.mark.django_db
def test_pages_render_styled_when_collectstatic_never_ran(client, settings, tmp_path):
    """With DEBUG off and no manifest, pages still answer 200 and their stylesheet is still served."""
    settings.STATIC_ROOT = tmp_path / "empty-static-root"
    settings.STORAGES = {**settings.STORAGES, "staticfiles": MANIFEST_STORAGE}
    settings.WHITENOISE_USE_FINDERS = True
    for path in ("/", "/subprocessors/", "/no-such-page/"):
        response = client.get(path)
        assert response.status_code in (200, 404), path
        assert 'href="/static/css/portal.css"' in response.content.decode()
    css = Client().get("/static/css/portal.css")
    assert css.status_code == 200
    assert b"--brand" in b"".join(css.streaming_content)


def _manage(*args, **extra_env):
    from tests.core.test_settings import production_env

    env = production_env()
    env.update(extra_env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


def test_check_deploy_says_to_collect_static_files(tmp_path):
    result = _manage("check", "--deploy", STATIC_ROOT=str(tmp_path / "never-collected"))
    assert "portal.W010" in result.stderr + result.stdout
    assert "collectstatic" in result.stderr + result.stdout


def test_collected_static_files_are_hashed_and_compressed(tmp_path):
    root = tmp_path / "static-root"
    collected = _manage("collectstatic", "--noinput", STATIC_ROOT=str(root))
    assert collected.returncode == 0, collected.stderr
    assert (root / "staticfiles.json").exists()
    assert list(root.glob("css/portal.*.css.gz"))
    from tests.core.test_settings import production_signing_env

    signing = production_signing_env(tmp_path)
    result = _manage("check", "--deploy", "--fail-level", "WARNING", STATIC_ROOT=str(root), **signing)
    assert result.returncode == 0, result.stdout + result.stderr
