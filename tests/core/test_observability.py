"""Sentry: on only with a DSN, and what it would send carries no personal data."""

import copy

import pytest
import sentry_sdk
from django.core.exceptions import ImproperlyConfigured
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import RequestFactory
from sentry_sdk.integrations.logging import _IGNORED_LOGGERS

from portal import observability
from portal.observability import FILTERED, scrub_event, sentry_init


@pytest.fixture
def sentry_calls(monkeypatch):
    calls = []
    monkeypatch.setattr(sentry_sdk, "init", lambda **options: calls.append(options))
    return calls


def test_sentry_stays_off_without_a_dsn(sentry_calls):
    assert sentry_init(dsn="", environment="production", traces_sample_rate=0.2) is False
    assert sentry_calls == []


def test_sentry_starts_with_django_and_celery_and_without_personal_data(sentry_calls):
    assert sentry_init(dsn="https://key@sentry.example/1", environment="staging", traces_sample_rate=0.25)
    [options] = sentry_calls
    assert {type(integration).__name__ for integration in options.pop("integrations")} == {
        "DjangoIntegration",
        "CeleryIntegration",
    }
    assert options == {
        "dsn": "https://key@sentry.example/1",
        "environment": "staging",
        "traces_sample_rate": 0.25,
        "send_default_pii": False,
        "include_local_variables": False,
        "max_request_body_size": "never",
        "before_send": scrub_event,
        "before_send_transaction": scrub_event,
    }
    # the request and task lines' errors repeat what the integrations report as exceptions: not reported twice
    assert set(observability.STRUCTURED_LOGGERS) <= _IGNORED_LOGGERS


def test_optional_settings_are_left_to_sentry_when_unset(sentry_calls):
    sentry_init(dsn="https://key@sentry.example/1")
    assert {"environment", "traces_sample_rate"}.isdisjoint(sentry_calls[0])


def test_a_sample_rate_outside_0_to_1_is_refused(sentry_calls):
    with pytest.raises(ImproperlyConfigured, match=r"SENTRY_TRACES_SAMPLE_RATE must be between 0 and 1 \(it is 5\.0\)"):
        sentry_init(dsn="https://key@sentry.example/1", traces_sample_rate=5.0)
    assert sentry_calls == []


def event_with_personal_data() -> dict:
    return {
        "message": "Could not notify alice@customer.example",
        "logentry": {"message": "Email to %s failed", "params": ["bob.smith+dpa@customer.example"]},
        "exception": {
            "values": [
                {
                    "type": "SMTPRecipientsRefused",
                    "value": "{'carol@customer.example': (550, b'no such user')}",
                    "stacktrace": {"frames": [{"filename": "portal/services/outbox.py", "lineno": 150}]},
                }
            ]
        },
        "breadcrumbs": {
            "values": [
                {"category": "query", "message": "SELECT ... WHERE email = 'dave@customer.example'"},
                {"category": "portal", "data": {"to": ["erin@customer.example"], "count": 2}},
            ]
        },
        "extra": {"recipient": "frank@customer.example", "nested": {"deep": ["grace@customer.example"]}},
        "tags": {"request_id": "req-0123456789"},
        "user": {"id": 7, "email": "heidi@customer.example", "ip_address": "203.0.113.9", "username": "heidi"},
        "request": {
            "url": "https://trust.example.com/dpa/sign/c2lnbmluZy10b2tlbg/",
            "method": "POST",
            "query_string": "token=abc123&page=2&email=ivan%40customer.example",
            "cookies": {"sessionid": "s3ss10n", "csrftoken": "csrf"},
            "data": {"email": "judy@customer.example", "password": "hunter2"},
            "headers": {
                "Authorization": "Token 0123456789abcdef",
                "Cookie": "sessionid=s3ss10n",
                "X-Csrftoken": "csrf",
                "User-Agent": "Mozilla/5.0",
                "Referer": "https://trust.example.com/accounts/confirm-email/MQ:1tXy:key/?from=mallory@customer.example",
            },
            "env": {"REMOTE_ADDR": "203.0.113.9", "SERVER_NAME": "web-1"},
        },
    }


@pytest.mark.django_db
def test_the_scrubber_removes_emails_cookies_credentials_and_bodies():
    scrubbed = scrub_event(event_with_personal_data(), {})
    text = repr(scrubbed)
    # no email address anywhere: message, exception, breadcrumbs, extra, user, headers
    assert "@customer.example" not in text
    assert scrubbed["message"] == "Could not notify [email]"
    assert scrubbed["logentry"]["params"] == ["[email]"]
    assert scrubbed["exception"]["values"][0]["value"] == "{'[email]': (550, b'no such user')}"
    assert scrubbed["breadcrumbs"]["values"][1]["data"] == {"to": ["[email]"], "count": 2}
    assert scrubbed["extra"] == {"recipient": "[email]", "nested": {"deep": ["[email]"]}}
    # no cookies, credential headers, body, address; the user is an id
    request = scrubbed["request"]
    assert "cookies" not in request
    assert request["data"] == FILTERED
    assert request["headers"]["Authorization"] == request["headers"]["Cookie"] == FILTERED
    assert request["headers"]["X-Csrftoken"] == FILTERED
    assert request["headers"]["User-Agent"] == "Mozilla/5.0"
    assert request["env"] == {"SERVER_NAME": "web-1"}
    assert scrubbed["user"] == {"id": 7}
    for secret in ("s3ss10n", "0123456789abcdef", "hunter2", "203.0.113.9", "abc123", "c2lnbmluZy10b2tlbg"):
        assert secret not in text
    # the link's secret and secret-looking query parameters, but not what helps to debug
    assert request["url"] == f"https://trust.example.com/dpa/sign/{FILTERED}/"
    assert request["query_string"] == f"token={FILTERED}&page=2&email={FILTERED}"
    assert scrubbed["tags"] == {"request_id": "req-0123456789"}
    assert scrubbed["exception"]["values"][0]["stacktrace"]["frames"][0] == {
        "filename": "portal/services/outbox.py",
        "lineno": 150,
    }


def test_the_scrubber_leaves_an_event_without_personal_data_as_it_is():
    event = {"message": "Signing an evidence PDF failed", "level": "error", "tags": {"task": "portal.tasks.x"}}
    assert scrub_event(copy.deepcopy(event), {}) == event


@pytest.mark.django_db
@pytest.mark.filterwarnings("ignore:The send_default_pii option is deprecated:DeprecationWarning")
def test_a_real_error_reaches_the_transport_scrubbed(client, member, monkeypatch, settings):
    """Through the SDK and the WSGI handler gunicorn calls, with a transport that keeps events instead of sending."""
    settings.ROOT_URLCONF = "tests.core.error_urls"
    client.force_login(member)
    environ = (
        RequestFactory()
        .get(
            "/test-boom/?token=abc123&page=2",
            HTTP_AUTHORIZATION="Token 0123456789abcdef",
            HTTP_COOKIE=f"sessionid={client.cookies['sessionid'].value}",
            HTTP_X_REQUEST_ID="req-sentry-0001",
            HTTP_REFERER="https://trust.example.com/?from=mallory@customer.example",
            REMOTE_ADDR="203.0.113.9",
        )
        .environ
    )
    sent = []

    class KeepingTransport(sentry_sdk.transport.Transport):
        def capture_envelope(self, envelope):
            sent.extend(item.payload.json for item in envelope.items if item.payload.json)

    real_init = sentry_sdk.init
    monkeypatch.setattr(
        sentry_sdk,
        "init",
        lambda **options: real_init(transport=KeepingTransport, default_integrations=False, **options),
    )
    # as Django's test client does: the test's database connection stays open across the request
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        sentry_init(dsn="https://key@sentry.example/1", environment="test")
        statuses = []
        WSGIHandler()(environ, lambda status, headers, exc_info=None: statuses.append(status))
        sentry_sdk.flush()
    finally:
        sentry_sdk.get_client().close()
        sentry_sdk.get_global_scope().set_client(None)
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    assert statuses == ["500 Internal Server Error"]
    [event] = [event for event in sent if event.get("exception")]
    assert event["exception"]["values"][-1]["value"] == "a bug"
    assert (event["environment"], event["tags"]["request_id"]) == ("test", "req-sentry-0001")
    request = event["request"]
    assert request["url"] == "http://testserver/test-boom/"
    assert request["query_string"] == f"token={FILTERED}&page=2"
    assert request["headers"]["Authorization"] == FILTERED
    assert request["headers"]["Referer"] == "https://trust.example.com/?from=[email]"
    assert "cookies" not in request
    assert "user" not in event or set(event["user"]) <= {"id"}
    text = repr(event)
    for secret in ("abc123", "0123456789abcdef", client.cookies["sessionid"].value, "203.0.113.9", member.email):
        assert secret not in text
