"""/health/live and /health/ready as a load balancer or orchestrator uses them."""

from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.support import celery_broker, celery_worker, worker_env

REDIS_URL = "redis://127.0.0.1:6379/14"


def _ready(client):
    """GET /health/ready (an async view) from a fresh thread: the browser tests' Playwright runs an event loop in
    the main thread for the whole session, where the test client could not run an async view."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(client.get, "/health/ready", HTTP_ACCEPT="application/json").result()


def _failing(response) -> set[str]:
    return {name for name, status in response.json().items() if status != "OK"}


def test_live_answers_without_touching_the_database(client):
    response = client.get("/health/live")  # no django_db mark: any query would raise
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_ready_with_tasks_in_process_checks_database_migrations_cache_and_storage(client, settings):
    response = _ready(client)
    assert response.status_code == 200, response.content
    names = " ".join(response.json())
    for check in ("Database", "MigrationsApplied", "Cache", "Storage"):
        assert check in names
    assert "Ping" not in names


@pytest.mark.django_db
def test_ready_fails_when_a_migration_is_not_applied(client, settings, monkeypatch):
    monkeypatch.setattr(
        "django.db.migrations.executor.MigrationExecutor.migration_plan",
        lambda self, targets: [("dpa", "9999_next_release")],
    )
    response = _ready(client)
    assert response.status_code == 500
    assert {n for n in _failing(response) if "MigrationsApplied" in n}
    assert "1 migrations not applied" in response.content.decode()


@pytest.mark.django_db
def test_ready_fails_when_the_file_storage_is_not_writable(client, settings, tmp_path):
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("a file where the storage directory should be")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {**settings.STORAGES["default"], "OPTIONS": {"location": str(blocked)}},
    }
    response = _ready(client)
    assert response.status_code == 500
    failing = _failing(response)
    assert failing
    assert all("Storage" in name for name in failing)


@pytest.mark.django_db
def test_ready_fails_without_a_celery_worker(client, settings):
    with celery_broker(REDIS_URL):
        response = _ready(client)
    assert response.status_code == 500
    failing = _failing(response)
    assert any("Ping" in name for name in failing)
    assert not any("Redis" in name for name in failing)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_ready_when_a_worker_answers(client, settings):
    with celery_broker(REDIS_URL) as queue:
        env = worker_env(smtp_port=1, queue=queue, redis_url=REDIS_URL)
        with celery_worker(env, queue):
            for _ in range(30):  # the worker takes a few seconds to start
                response = _ready(client)
                if response.status_code == 200:
                    break
            assert response.status_code == 200, response.content
    assert any("Ping" in name for name in response.json())


@pytest.mark.django_db
def test_ready_fails_when_the_broker_is_down(client, settings):
    with celery_broker("redis://127.0.0.1:1/0"):
        response = _ready(client)
    assert response.status_code == 500
    assert any("Redis" in name for name in _failing(response))
