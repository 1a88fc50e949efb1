"""Files rendered by a worker, never in a request (portal.evidence.prepared), shown on the public snapshot PDF of
the sub-processor list: one row and one render per content version, "being prepared" until ready (a page that
reloads itself, 202 + Retry-After for API clients), the file once ready, a 503 with a staff retry when it failed,
and the sweep that re-sends what a lost task left."""

import datetime as dt
import hashlib
import threading

import pytest
import time_machine
from django.db import connection
from django.db.models.query import QuerySet
from django.urls import reverse
from django.utils import timezone

from portal.audit.models import AuditEvent
from portal.evidence import enqueue, prepared
from portal.evidence.models import PreparedFile
from portal.evidence.prepared import MAX_ATTEMPTS, STUCK_AFTER, prepare, prepared_file_render, prepared_files_sweep
from subprocessors.listing import exports
from subprocessors.listing.exports import SNAPSHOT_KIND, SNAPSHOT_TASK, snapshot_pdf_render
from subprocessors.listing.services import subprocessor_update
from tests.auth import login
from tests.listing.factories import make_subprocessor
from tests.organisations.factories import UserFactory
from tests.pdf import pdf_text

URL = "/subprocessors/snapshot.pdf"


@pytest.fixture
def renders(monkeypatch):
    """Counts the snapshot renders (the real WeasyPrint render still runs)."""
    calls = []
    real = exports.list_pdf

    def counting(**kwargs):
        calls.append(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(exports, "list_pdf", counting)
    return calls


@pytest.fixture
def no_worker(monkeypatch):
    """The broker takes the task but no worker runs it: the row stays pending."""
    sent = []
    monkeypatch.setattr(enqueue, "task", lambda name: type("T", (), {"delay": staticmethod(sent.append)}))
    return sent


@pytest.fixture
def broken_render(monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("WeasyPrint ran out of memory")

    monkeypatch.setattr(exports, "list_pdf", broken)


def _staff_with_mfa():
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    user = UserFactory(is_staff=True)
    TOTP.activate(user, generate_totp_secret())
    return user


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


# --- one row and one render per version -------------------------------------------------------------------------


@pytest.mark.django_db
def test_asking_twice_creates_one_row_and_enqueues_one_render(django_capture_on_commit_callbacks, no_worker):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        first = prepare(kind="test", key="v1", task=SNAPSHOT_TASK, args=["2026-12-03"])
        second = prepare(kind="test", key="v1", task=SNAPSHOT_TASK, args=["2026-12-03"])
    assert first.pk == second.pk
    assert PreparedFile.objects.count() == 1
    assert len(callbacks) == 1
    assert no_worker == [first.pk]


@pytest.mark.django_db(transaction=True)
def test_concurrent_first_requests_create_one_row_and_one_render(monkeypatch):
    """Two requests miss at the same moment and both insert: the second insert waits on the unique index until the
    first commits, then finds its row. Only the creator enqueues the render."""
    sent = []
    monkeypatch.setattr(enqueue, "prepared_file_render", lambda job: sent.append(job.pk))
    both_missed = threading.Barrier(2, timeout=10)
    real_create = QuerySet.create

    def create_after_both_missed(self, **kwargs):
        if self.model is PreparedFile:
            both_missed.wait()  # both have looked and found nothing
        return real_create(self, **kwargs)

    monkeypatch.setattr(QuerySet, "create", create_after_both_missed)
    results, errors = [], []

    def request():
        try:
            results.append(prepare(kind="test", key="race", task=SNAPSHOT_TASK, args=["2026-12-03"]).pk)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=request) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert len(results) == 2
    assert results[0] == results[1]
    assert PreparedFile.objects.filter(kind="test", key="race").count() == 1
    assert sent == [results[0]]


@pytest.mark.django_db
def test_the_task_renders_once_and_leaves_a_ready_row_alone(django_capture_on_commit_callbacks, renders):
    make_subprocessor(name="Alpha AI")
    with django_capture_on_commit_callbacks(execute=True):
        job = exports.snapshot_pdf_prepare()
    job.refresh_from_db()
    assert job.status == "ready"
    assert prepared_file_render(job_id=job.pk, render=snapshot_pdf_render) is None  # a second delivery of the task
    assert len(renders) == 1
    assert job.render_ms is not None
    assert job.size > 0
    assert job.path.startswith(f"prepared/{SNAPSHOT_KIND}/")
    assert job.started_at <= job.finished_at


@pytest.mark.django_db
def test_a_render_in_progress_is_left_alone_unless_stuck(renders):
    job = PreparedFile.objects.create(
        kind=SNAPSHOT_KIND,
        key="in-progress",
        task_name=SNAPSHOT_TASK,
        task_args=["2026-12-03"],
        status="rendering",
        started_at=timezone.now(),
        attempts=1,
    )
    assert prepared_file_render(job_id=job.pk, render=snapshot_pdf_render) is None
    assert renders == []
    PreparedFile.objects.filter(pk=job.pk).update(started_at=timezone.now() - STUCK_AFTER - dt.timedelta(seconds=1))
    done = prepared_file_render(job_id=job.pk, render=snapshot_pdf_render)
    assert done.status == "ready"
    assert done.attempts == 2
    assert len(renders) == 1


@pytest.mark.django_db
def test_a_list_change_makes_a_new_snapshot_version(client, django_capture_on_commit_callbacks, renders, legal):
    row = make_subprocessor(name="Alpha AI")
    first = _body(get_ready(client, django_capture_on_commit_callbacks))
    assert "Alpha AI" in pdf_text(first)
    assert _body(client.get(URL)) == first  # unchanged list, same day: the same file, no render
    with django_capture_on_commit_callbacks(execute=True):
        subprocessor_update(subprocessor=row, data={"name": "Beta AI"}, actor=legal)
    second = _body(get_ready(client, django_capture_on_commit_callbacks))
    assert "Beta AI" in pdf_text(second)
    assert PreparedFile.objects.filter(kind=SNAPSHOT_KIND).count() == 2
    assert len(renders) == 2


@pytest.mark.django_db
def test_the_next_day_is_a_new_snapshot(client, django_capture_on_commit_callbacks, renders):
    make_subprocessor(name="Alpha AI")
    with time_machine.travel(dt.datetime(2026, 6, 1, 10, tzinfo=dt.UTC)):
        text = pdf_text(_body(get_ready(client, django_capture_on_commit_callbacks)))
        assert "as of 1 June 2026" in text
    with time_machine.travel(dt.datetime(2026, 6, 2, 10, tzinfo=dt.UTC)):
        response = get_ready(client, django_capture_on_commit_callbacks)
        assert response["Content-Disposition"] == 'inline; filename="subprocessors-2026-06-02.pdf"'
        assert "as of 2 June 2026" in pdf_text(_body(response))
    assert len(renders) == 2


def get_ready(client, capture, **kwargs):
    with capture(execute=True):
        first = client.get(URL, **kwargs)
    assert first.status_code in (200, 202)
    return client.get(URL, **kwargs) if first.status_code == 202 else first


# --- what the download URL answers ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_being_prepared_page_reloads_itself_and_says_what_is_happening(
    client, django_capture_on_commit_callbacks, no_worker
):
    make_subprocessor(name="Alpha AI")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(URL)
    assert response.status_code == 202
    assert response["Retry-After"] == "3"
    assert response["Cache-Control"] == "no-store"
    html = response.content.decode()
    assert f'data-poll-url="{URL}"' in html  # static/js/poll.js checks with HEAD and reloads once it is ready
    assert "<h1>Your PDF is being prepared</h1>" in html
    assert f'<a class="button" href="{URL}">Refresh</a>' in html
    assert 'role="status"' in html
    assert "Sub-processor list as of" in html
    assert 'class="site-header"' in html  # the portal layout
    assert f'href="{reverse("listing:list")}"' in html
    assert len(no_worker) == 1
    # asking again while it is pending neither creates a row nor enqueues again
    with django_capture_on_commit_callbacks(execute=True):
        assert client.get(URL).status_code == 202
    assert len(no_worker) == 1
    assert PreparedFile.objects.get().status == "pending"


@pytest.mark.django_db
def test_api_clients_get_202_with_retry_after_and_a_status_url(client, django_capture_on_commit_callbacks, no_worker):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(URL, HTTP_ACCEPT="application/json")
    assert response.status_code == 202
    assert response["Retry-After"] == "3"
    assert response["Content-Type"] == "application/json"
    body = response.json()
    job = PreparedFile.objects.get()
    assert body["status"] == "pending"
    assert body["id"] == str(job.public_id)
    assert body["status_url"] == f"http://testserver{URL}"
    assert body["retry_after"] == 3


@pytest.mark.django_db
def test_ready_file_has_etag_head_and_not_modified(client, django_capture_on_commit_callbacks):
    make_subprocessor(name="Alpha AI")
    response = get_ready(client, django_capture_on_commit_callbacks)
    content = _body(response)
    etag = f'"{hashlib.sha256(content).hexdigest()}"'
    assert response["ETag"] == etag
    assert response["Content-Length"] == str(len(content))
    head = client.head(URL)
    assert head.status_code == 200
    assert head["Content-Type"] == "application/pdf"
    assert head["Content-Length"] == str(len(content))
    assert head["ETag"] == etag
    assert head.content == b""
    assert client.get(URL, HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert client.get(URL, HTTP_ACCEPT="application/json").status_code == 200  # ready: the file, for everyone


@pytest.mark.django_db
def test_a_stored_file_that_changed_is_not_served(client, django_capture_on_commit_callbacks):
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from portal.audit.models import AuditEvent

    get_ready(client, django_capture_on_commit_callbacks)
    job = PreparedFile.objects.get()
    default_storage.delete(job.path)
    default_storage.save(job.path, ContentFile(b"%PDF-1.7 something else"))
    response = client.get(URL)
    assert response.status_code == 503
    assert AuditEvent.objects.filter(action="evidence.integrity_failed").exists()


# --- failures, retries and the sweep ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_failed_render_shows_a_503_page_and_staff_can_retry(
    client, django_capture_on_commit_callbacks, broken_render, monkeypatch, legal
):
    with django_capture_on_commit_callbacks(execute=True):
        assert client.get(URL).status_code == 202
    job = PreparedFile.objects.get()
    assert job.status == "failed"
    assert job.error == "RuntimeError: WeasyPrint ran out of memory"
    assert job.attempts == 1
    assert job.next_attempt_at > timezone.now()
    # a visitor: a clear page, no internals, no retry button
    response = client.get(URL)
    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    html = response.content.decode()
    assert "<h1>This PDF could not be prepared</h1>" in html
    assert "out of memory" not in html
    retry = reverse("evidence:staff_prepared_retry", args=[job.public_id])
    assert retry not in html
    assert client.get(URL, HTTP_ACCEPT="application/json").json()["status"] == "failed"
    # legal staff see the error and retry once the cause is fixed
    login(client, legal)
    html = client.get(URL).content.decode()
    assert "RuntimeError: WeasyPrint ran out of memory" in html
    assert retry in html
    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(retry, {"next": URL})
    assert response.status_code == 302
    assert response["Location"] == URL
    job.refresh_from_db()
    assert (job.status, job.attempts, job.requested_by) == ("ready", 2, legal)
    assert client.get(URL).status_code == 200
    retried = AuditEvent.objects.get(action="evidence.prepared_file_retried")
    assert (retried.actor, retried.details["error"], retried.details["attempts"]) == (
        legal,
        "RuntimeError: WeasyPrint ran out of memory",
        1,
    )


@pytest.mark.django_db
def test_retry_refuses_what_did_not_fail_and_foreign_next_urls(client, django_capture_on_commit_callbacks, legal):
    get_ready(client, django_capture_on_commit_callbacks)
    job = PreparedFile.objects.get()
    login(client, legal)
    response = client.post(
        reverse("evidence:staff_prepared_retry", args=[job.public_id]), {"next": "https://evil.example/"}, follow=True
    )
    assert response.redirect_chain[0][0] == reverse("staff:home")
    assert "Only a failed file can be retried; this one is ready." in response.content.decode()


@pytest.mark.django_db
def test_retry_permissions(client, member, legal_no_mfa, legal, django_capture_on_commit_callbacks, broken_render):
    with django_capture_on_commit_callbacks(execute=True):
        client.get(URL)
    job = PreparedFile.objects.get(status="failed")
    url = reverse("evidence:staff_prepared_retry", args=[job.public_id])
    response = client.post(url)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]  # anonymous
    login(client, member)
    assert client.post(url).status_code == 403  # a customer
    login(client, _staff_with_mfa())
    assert client.post(url).status_code == 403  # staff, not legal
    login(client, legal_no_mfa)
    assert "totp" in client.post(url)["Location"]  # legal, no second factor
    login(client, legal)
    assert client.get(url).status_code == 405  # a retry is a POST
    job.refresh_from_db()
    assert job.status == "failed"  # nobody above could retry it


@pytest.mark.django_db
def test_retry_needs_the_permission_the_row_names(client, legal, django_capture_on_commit_callbacks, broken_render):
    with django_capture_on_commit_callbacks(execute=True):
        client.get(URL)
    job = PreparedFile.objects.get(status="failed")
    PreparedFile.objects.filter(pk=job.pk).update(permission="evidence.delete_preparedfile")  # no one holds it
    login(client, legal)
    assert reverse("evidence:staff_prepared_retry", args=[job.public_id]) not in client.get(URL).content.decode()
    assert client.post(reverse("evidence:staff_prepared_retry", args=[job.public_id])).status_code == 403


@pytest.mark.django_db
def test_failures_back_off_and_stop_after_the_last_attempt(broken_render):
    job = PreparedFile.objects.create(kind=SNAPSHOT_KIND, key="k", task_name=SNAPSHOT_TASK, task_args=["2026-12-03"])
    waits = []
    for _ in range(MAX_ATTEMPTS):
        PreparedFile.objects.filter(pk=job.pk).update(status="pending")
        done = prepared_file_render(job_id=job.pk, render=snapshot_pdf_render)
        waits.append(done.next_attempt_at and round((done.next_attempt_at - done.finished_at).total_seconds() / 60))
    assert waits == [1, 2, 4, 8, None]  # minutes; after the last attempt only staff can retry
    assert prepared.backoff(20) == prepared.MAX_BACKOFF


@pytest.mark.django_db
def test_the_sweep_resends_lost_stuck_and_due_rows(django_capture_on_commit_callbacks, no_worker):
    now = timezone.now()
    old = now - dt.timedelta(minutes=30)

    def row(key, **fields):
        return PreparedFile.objects.create(
            kind="test", key=key, task_name=SNAPSHOT_TASK, task_args=["2026-12-03"], created_at=old, **fields
        )

    lost = row("lost")  # created, never enqueued (broker down at the commit)
    lost_in_broker = row("lost-in-broker", enqueued_at=old)
    stuck = row("stuck", status="rendering", started_at=old, attempts=1)
    due = row("due", status="failed", next_attempt_at=now - dt.timedelta(seconds=1), attempts=1)
    row("fresh", enqueued_at=now)
    row("rendering", status="rendering", started_at=now, attempts=1)
    row("not-due", status="failed", next_attempt_at=now + dt.timedelta(minutes=5), attempts=1)
    row("given-up", status="failed", next_attempt_at=None, attempts=MAX_ATTEMPTS)
    row("ready", status="ready")
    with django_capture_on_commit_callbacks(execute=True):
        assert prepared_files_sweep(now=now) == 4
    assert sorted(no_worker) == sorted([lost.pk, lost_in_broker.pk, stuck.pk, due.pk])
    due.refresh_from_db()
    assert due.status == "pending"
    lost.refresh_from_db()
    assert lost.enqueued_at is not None
    # sent again: not swept again before LOST_AFTER has passed
    with django_capture_on_commit_callbacks(execute=True):
        assert prepared_files_sweep(now=timezone.now()) == 1  # only the stuck render, still stuck


@pytest.mark.django_db
def test_old_prepared_files_are_purged_but_never_issued_reports_or_the_dpa_cache():
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from portal.evidence.prepared import KEEP_FOR, prepared_files_purge
    from portal.evidence.reports import report_issue

    old = timezone.now() - KEEP_FOR - dt.timedelta(days=1)

    def row(key, path, **fields):
        default_storage.save(path, ContentFile(b"%PDF-1.7"))
        return PreparedFile.objects.create(
            kind="test", key=key, task_name=SNAPSHOT_TASK, status="ready", path=path, created_at=old, **fields
        )

    snapshot = row("old-snapshot", "prepared/listing_snapshot/2026/01/a.pdf")
    recent = row("recent", "prepared/listing_snapshot/2026/12/b.pdf")
    PreparedFile.objects.filter(pk=recent.pk).update(created_at=timezone.now())
    dpa_cache = row("dpa", "dpa/pdf/abc.pdf")
    report = report_issue(kind="breach_report", content=b"%PDF-1.7 r", label="r", actor=None, stem="r")
    issued = PreparedFile.objects.create(
        kind="breach_report", key="r", task_name=SNAPSHOT_TASK, status="ready", path=report.path, issued_report=report,
        created_at=old,
    )  # fmt: skip
    assert prepared_files_purge() == 1
    assert not PreparedFile.objects.filter(pk=snapshot.pk).exists()
    assert not default_storage.exists(snapshot.path)
    assert set(PreparedFile.objects.values_list("pk", flat=True)) == {recent.pk, dpa_cache.pk, issued.pk}
    assert default_storage.exists(dpa_cache.path)
    assert default_storage.exists(report.path)
