"""JSON logs as an operator reads them: one line per request and per task run, with the ids that tie lines
together, the traceback inside the line, and no personal data beyond ids."""

import io
import json
import logging
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import structlog
from django.urls import reverse
from rest_framework.test import APIClient

from portal import celery_app, logs
from portal.delivery.tasks import outbox_sweep
from tests.auth import user_token
from tests.organisations.factories import MembershipFactory, OrganisationFactory

ROOT = Path(__file__).resolve().parents[2]


@celery_app.task(name="tests.core.test_logging.broken_task")
def broken_task():
    raise ValueError("the task broke")


@pytest.fixture
def log_lines():
    """What the JSON handler writes, parsed: the same formatter as production, on a handler of the test's own."""
    config = logs.logging_config(log_format="json", level="INFO")["formatters"]["structured"]
    formatter = config["()"](**{key: value for key, value in config.items() if key != "()"})
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    saved_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    structlog.contextvars.clear_contextvars()
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.removeHandler(handler)
    root.setLevel(saved_level)
    structlog.contextvars.clear_contextvars()


def request_lines(lines):
    return [line for line in lines if line["event"] in ("request_finished", "request_failed")]


# --- requests ----------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_request_logs_one_json_line_with_its_ids(client, org, member, log_lines):
    # given a member of one organisation
    client.force_login(member)
    # when they open its page, with a token in the query string
    response = client.get(reverse("organisations:detail", args=[org.public_id]) + "?token=s3cret-value")
    # then one line says who asked what, how it ended and how long it took
    assert response.status_code == 200
    [line] = request_lines(log_lines())
    assert line == {
        "event": "request_finished",
        "method": "GET",
        "path": f"/org/{org.public_id}/",
        "status": 200,
        "duration_ms": line["duration_ms"],
        "request_id": response["X-Request-ID"],
        "user_id": member.pk,
        "organisation_id": str(org.public_id),
        "level": "info",
        "logger": "django_structlog.middlewares.request",
        "timestamp": line["timestamp"],
    }
    assert isinstance(line["duration_ms"], int)
    assert uuid.UUID(line["request_id"])
    assert "s3cret-value" not in json.dumps(log_lines())
    assert member.email not in json.dumps(log_lines())


@pytest.mark.django_db
def test_an_anonymous_request_has_no_user_and_no_organisation(client, log_lines):
    response = client.get(reverse("account_login"))
    [line] = request_lines(log_lines())
    assert (line["status"], line["user_id"]) == (response.status_code, None)
    assert "organisation_id" not in line
    assert {"ip", "user_agent", "request"}.isdisjoint(line)


@pytest.mark.django_db
def test_a_member_of_several_organisations_is_logged_with_all_of_them(client, org, member, log_lines):
    other = MembershipFactory(user=member, organisation=OrganisationFactory(name="Initech")).organisation
    client.force_login(member)
    client.get(reverse("organisations:detail", args=[org.public_id]))
    [line] = request_lines(log_lines())
    assert line["organisation_ids"] == sorted([str(org.public_id), str(other.public_id)])


@pytest.mark.django_db
def test_an_api_call_is_logged_with_the_token_user_and_organisation(org, member, log_lines):
    # DRF authenticates the token inside the view: the line is written after it
    client = APIClient(HTTP_AUTHORIZATION=f"Token {user_token(member, scope='read')}")
    response = client.get(reverse("trust:api_access_requests"))
    [line] = request_lines(log_lines())
    assert (line["status"], line["user_id"], line["organisation_id"]) == (
        response.status_code,
        member.pk,
        str(org.public_id),
    )


@pytest.mark.django_db
def test_an_incoming_request_id_is_echoed_and_logged(client, log_lines):
    response = client.get(reverse("account_login"), HTTP_X_REQUEST_ID="lb-4f1c2a9e-7d3b")
    assert response["X-Request-ID"] == "lb-4f1c2a9e-7d3b"
    assert request_lines(log_lines())[0]["request_id"] == "lb-4f1c2a9e-7d3b"


@pytest.mark.django_db
@pytest.mark.parametrize("incoming", ["short", "has spaces in it", "x" * 200, "\u00e9t\u00e9-2024-request", ""])
def test_a_malformed_request_id_is_replaced_by_a_new_one(client, log_lines, incoming):
    response = client.get(reverse("account_login"), HTTP_X_REQUEST_ID=incoming)
    assert uuid.UUID(response["X-Request-ID"])
    assert request_lines(log_lines())[0]["request_id"] == response["X-Request-ID"]


@pytest.mark.django_db
def test_every_request_gets_its_own_id(client, log_lines):
    first, second = client.get(reverse("account_login")), client.get(reverse("account_login"))
    assert first["X-Request-ID"] != second["X-Request-ID"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url_name", "secret"),
    [
        ("signing:sign", "Zm9vYmFyLXNpZ25pbmctdG9rZW4"),
        ("listing:unsubscribe", "dW5zdWJzY3JpYmUtdG9rZW4"),
        ("breaches:ack", "YnJlYWNoLWFjay10b2tlbg"),
        ("account_confirm_email", "MQ:1tXyZa:confirmation-key"),
    ],
)
def test_the_secret_of_a_link_is_not_logged(client, log_lines, url_name, secret):
    # when someone follows (or guesses) a link whose path is its credential
    client.get(reverse(url_name, args=[secret]))
    # then the line names the route, not the secret
    [line] = request_lines(log_lines())
    assert "[Filtered]" in line["path"]
    assert secret not in json.dumps(log_lines())


@pytest.mark.django_db
def test_an_email_address_in_a_path_is_not_logged(client, log_lines):
    client.get("/nowhere/alice@customer.example/")
    [line] = request_lines(log_lines())
    assert (line["path"], line["status"]) == ("/nowhere/[email]/", 404)


@pytest.mark.django_db
def test_a_failing_view_logs_one_line_with_the_traceback(client, settings, log_lines):
    settings.ROOT_URLCONF = "tests.core.error_urls"
    client.raise_request_exception = False
    response = client.get("/test-boom/", HTTP_X_REQUEST_ID="trace-0123456789")
    assert response.status_code == 500
    lines = log_lines()
    [line] = request_lines(lines)
    assert line["event"] == "request_failed"
    assert (line["status"], line["path"], line["request_id"], line["level"]) == (
        500,
        "/test-boom/",
        "trace-0123456789",
        "error",
    )
    assert line["exception"].startswith("Traceback (most recent call last):")
    assert "RuntimeError: a bug" in line["exception"]
    # Django's own "Internal Server Error" line would repeat it
    assert [entry["logger"] for entry in lines if "Traceback" in entry.get("exception", "")] == [
        "django_structlog.middlewares.request"
    ]


@pytest.mark.django_db
def test_lines_logged_during_a_request_carry_its_ids(client, org, member, log_lines, monkeypatch):
    # given a view that logs through a standard-library logger, as the services do
    from portal.organisations import views as organisations

    original = organisations.membership_for

    def logging_membership_for(user, public_id):
        logging.getLogger("portal.services.example").warning("looked up %s", public_id)
        return original(user, public_id)

    monkeypatch.setattr(organisations, "membership_for", logging_membership_for)
    client.force_login(member)
    response = client.get(reverse("organisations:detail", args=[org.public_id]))
    [line] = [line for line in log_lines() if line["logger"] == "portal.services.example"]
    assert line["event"] == f"looked up {org.public_id}"
    assert (line["request_id"], line["user_id"], line["organisation_id"]) == (
        response["X-Request-ID"],
        member.pk,
        str(org.public_id),
    )


# --- standard-library loggers ------------------------------------------------------------------------------------


def test_an_exception_logged_by_the_code_is_one_json_line_with_the_traceback(log_lines):
    try:
        raise ValueError("the SMTP server said no to bob@customer.example")
    except ValueError:
        logging.getLogger("portal.services.outbox").exception("Email %s attempt %s failed", 41, 2)
    [line] = log_lines()
    assert line["event"] == "Email 41 attempt 2 failed"
    assert (line["level"], line["logger"]) == ("error", "portal.services.outbox")
    assert line["exception"].startswith("Traceback (most recent call last):")
    assert "ValueError: the SMTP server said no to [email]" in line["exception"]


# --- Celery tasks ------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_task_run_logs_one_json_line(log_lines):
    result = outbox_sweep.apply()
    [line] = [line for line in log_lines() if line["event"].startswith("task_")]
    assert line == {
        "event": "task_finished",
        "task": "portal.delivery.tasks.outbox_sweep",
        "task_id": result.id,
        "state": "SUCCESS",
        "duration_ms": line["duration_ms"],
        "level": "info",
        "logger": "portal.task_log",
        "timestamp": line["timestamp"],
    }


def test_a_failed_task_logs_its_traceback(log_lines):
    result = broken_task.apply()
    assert result.state == "FAILURE"
    [line] = [line for line in log_lines() if line["event"] == "task_finished"]
    assert (line["task"], line["task_id"], line["state"], line["level"]) == (
        "tests.core.test_logging.broken_task",
        result.id,
        "FAILURE",
        "error",
    )
    assert "ValueError: the task broke" in line["exception"]


@pytest.mark.django_db
def test_a_task_run_inside_a_request_keeps_the_request_context(log_lines):
    # given a request's context (tasks run in-process in development and tests)
    structlog.contextvars.bind_contextvars(request_id="req-0123456789", user_id=7)
    # when a task runs inside it
    outbox_sweep.apply()
    # then the task line carries the request's ids, and the request's context is unchanged after it
    [line] = [line for line in log_lines() if line["event"] == "task_finished"]
    assert (line["request_id"], line["user_id"], line["task"]) == (
        "req-0123456789",
        7,
        "portal.delivery.tasks.outbox_sweep",
    )
    assert structlog.contextvars.get_contextvars() == {"request_id": "req-0123456789", "user_id": 7}


# --- configuration -----------------------------------------------------------------------------------------------


def run_python(code: str, **env: str) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items() if key not in ("DEBUG", "LOG_FORMAT", "LOG_LEVEL")}
    environment.update(DJANGO_SETTINGS_MODULE="portal.settings", AUDIT_CHAIN_KEY="k" * 40, **env)
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); import logging; {code}"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_json_without_debug_readable_lines_with_debug():
    code = "logging.getLogger('portal.signing').warning('PAdES B-LT not possible (%s)', 'timeout')"
    production = run_python(code)
    development = run_python(code, DEBUG="1")
    line = json.loads(production.stderr.strip().splitlines()[-1])
    assert (line["event"], line["level"], line["logger"]) == (
        "PAdES B-LT not possible (timeout)",
        "warning",
        "portal.signing",
    )
    assert development.stderr.strip().splitlines()[-1].endswith("PAdES B-LT not possible (timeout) [portal.signing]")
    assert json.loads(run_python(code, DEBUG="1", LOG_FORMAT="json").stderr.strip().splitlines()[-1])["event"]


def test_log_level_and_format_are_checked():
    assert run_python("", LOG_LEVEL="WARNING").returncode == 0
    assert run_python("logging.getLogger('portal').info('hidden')", LOG_LEVEL="warning").stderr == ""
    wrong_format = run_python("", LOG_FORMAT="xml")
    assert wrong_format.returncode != 0
    assert "LOG_FORMAT must be one of json, console (it is 'xml')." in wrong_format.stderr
    wrong_level = run_python("", LOG_LEVEL="LOUD")
    assert "LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL (it is 'LOUD')." in wrong_level.stderr


def test_celery_keeps_the_portal_logging_at_the_level_it_is_given():
    # Celery's worker and beat call setup_logging; without a receiver they install plain-text handlers.
    code = (
        "from celery.signals import setup_logging; "
        "setup_logging.send(sender=None, loglevel='ERROR', logfile=None, format='', colorize=False); "
        "logging.getLogger('portal.tasks').warning('hidden'); "
        "logging.getLogger('portal.tasks').error('shown')"
    )
    result = run_python(code)
    [line] = [json.loads(text) for text in result.stderr.strip().splitlines()]
    assert line["event"] == "shown"


# --- a real worker -----------------------------------------------------------------------------------------------

WORKER_REDIS_URL = "redis://127.0.0.1:6379/11"


@pytest.mark.worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_real_worker_logs_json_lines_with_the_enqueuing_request_id(monkeypatch):
    from django.db import transaction

    from portal.delivery.models import OutboundEmail
    from portal.delivery.outbox import email_queue_raw
    from tests.support import celery_broker, celery_worker, smtp_sink, wait_for, worker_env

    monkeypatch.setenv("TEST_WORKER_LOGLEVEL", "INFO")
    with celery_broker(WORKER_REDIS_URL) as queue, smtp_sink() as (sink, port):
        env = {**worker_env(smtp_port=port, queue=queue, redis_url=WORKER_REDIS_URL), "LOG_FORMAT": "json"}
        with celery_worker(env, queue) as proc:
            # when a request queues an email (its id travels with the task)
            structlog.contextvars.bind_contextvars(request_id="req-worker-0123456789")
            try:
                with transaction.atomic():
                    row = email_queue_raw(key="log-test", to="dpo@acme.example", subject="Logs", text="Hello")
            finally:
                structlog.contextvars.clear_contextvars()
            delivered = wait_for(lambda: OutboundEmail.objects.get(pk=row.pk).status == "sent", timeout=90)
            proc.terminate()
            output = proc.communicate(timeout=30)[0].decode(errors="replace")
    assert delivered, output[-3000:]
    # then the worker's lines are JSON, Celery's own included, and the task line names the task and the request
    # (the test's worker runs without --quiet, as root: Celery's banner and its warning about root are plain text)
    lines = [json.loads(text) for text in output.splitlines() if text.startswith("{")]
    assert "celery.apps.worker" in {line["logger"] for line in lines}
    [task_line] = [
        line
        for line in lines
        if line["event"] == "task_finished" and line.get("task") == "portal.delivery.tasks.outbox_deliver_batch_task"
    ]
    assert (task_line["state"], task_line["request_id"], task_line["level"]) == (
        "SUCCESS",
        "req-worker-0123456789",
        "info",
    )
    assert isinstance(task_line["duration_ms"], int)
    assert "dpo@acme.example" not in output


# --- gunicorn ----------------------------------------------------------------------------------------------------


def test_gunicorn_keeps_no_access_log_and_logs_its_own_lines_in_the_portal_format():
    code = (
        "import runpy; from gunicorn.config import Config; from gunicorn.glogging import Logger; "
        "options = runpy.run_path('docker/gunicorn.conf.py'); config = Config(); "
        "[config.set(name, value) for name, value in options.items() if name in config.settings]; "
        "log = Logger(config); log.info('Booting worker with pid: %s', 42); print(config.accesslog)"
    )
    result = run_python(code)
    assert result.stdout.strip() == "None"
    [line] = [json.loads(text) for text in result.stderr.splitlines()]
    assert (line["event"], line["logger"]) == ("Booting worker with pid: 42", "gunicorn.error")
    entrypoint = (ROOT / "docker" / "entrypoint.sh").read_text()
    assert "--config docker/gunicorn.conf.py" in entrypoint
    assert "--access-logfile" not in entrypoint
