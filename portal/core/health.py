"""Liveness and readiness for load balancers and orchestrators (django-health-check).

`/health/live` answers 200 while the process serves requests and touches nothing else, so a slow database never
gets a healthy web process restarted. `/health/ready` answers 200 only when this process can do its work: the
database answers and every migration is applied, the cache and the broker (Redis) answer, a Celery worker answers
a ping, and the private file storage is writable; otherwise 500 with each failing check named and a short reason
(never an exception's text). With tasks run in-process (`make run`) there is no broker or worker to ask."""

import dataclasses

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from health_check.base import HealthCheck
from health_check.exceptions import ServiceUnavailable
from health_check.views import HealthCheckView
from redis.asyncio import Redis

from portal.celery import app as celery_app


@dataclasses.dataclass
class MigrationsApplied(HealthCheck):
    """A new release whose migrations have not run yet must not take traffic."""

    alias: str = DEFAULT_DB_ALIAS

    def run(self):
        connection = connections[self.alias]
        try:
            executor = MigrationExecutor(connection)
            pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
        finally:
            connection.close()
        if pending:
            raise ServiceUnavailable(f"{len(pending)} migrations not applied")


def _broker_client() -> Redis:
    return Redis.from_url(celery_app.conf.broker_url, socket_connect_timeout=2, socket_timeout=2)


def readiness_checks() -> list:
    checks: list = [
        "health_check.checks.Database",
        MigrationsApplied,
        "health_check.checks.Cache",
        "health_check.checks.Storage",
    ]
    if not celery_app.conf.task_always_eager:
        checks += [
            ("health_check.contrib.redis.Redis", {"client_factory": _broker_client}),
            # the portal's app by name: in a check's thread "the current app" would be a fresh default one
            ("health_check.contrib.celery.Ping", {"app": celery_app, "limit": 1}),
        ]
    return checks


class ReadinessView(HealthCheckView):
    def get_checks(self):
        self.checks = readiness_checks()
        return super().get_checks()


@never_cache
def live(request):
    return JsonResponse({"status": "ok"})


ready = ReadinessView.as_view()
