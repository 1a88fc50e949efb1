#!/usr/bin/env bash
# One image, one role per container:
#   web       gunicorn on 0.0.0.0:$PORT (8000) with docker/gunicorn.conf.py; refuses to start without the collected
#             static files (no access log: the portal logs each request)
#   worker    Celery worker (emails, webhooks, change fan-outs, PDFs)
#   beat      Celery beat, the periodic sweeps; run exactly ONE beat for the whole site
#   migrate   apply database migrations, then exit (run before starting a new release)
#   manage.py ARGS...   any management command, e.g. `manage.py createsuperuser`
#   anything else is run as given (e.g. `bash`)
# Extra arguments after a role go to its program, e.g. `web --bind 127.0.0.1:8765`.
# Logs: JSON lines on stderr (LOG_FORMAT, LOG_LEVEL); Celery's text banner is left out (--quiet).
set -euo pipefail
cd "$(dirname "$0")/.."  # /app

role="${1:-web}"
if [ $# -gt 0 ]; then shift; fi

static_manifest() {
  local root="${STATIC_ROOT:-/app/staticfiles}"
  if [ ! -s "$root/staticfiles.json" ]; then
    echo "entrypoint: refusing to start the web server: no static files manifest at $root/staticfiles.json." >&2
    echo "entrypoint: the image collects static files at build time; if STATIC_ROOT points elsewhere, run" >&2
    echo "entrypoint: 'python manage.py collectstatic --noinput' into it (or unset STATIC_ROOT) and start again." >&2
    exit 78  # EX_CONFIG
  fi
}

# gunicorn's processes each count requests in files here and /metrics adds the files up; files of an earlier start
# (a restarted container keeps its /tmp) would be counted again, so the directory starts empty.
metrics_dir() {
  export PROMETHEUS_MULTIPROC_DIR="${PROMETHEUS_MULTIPROC_DIR:-/tmp/portal-prometheus}"
  mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
  find "$PROMETHEUS_MULTIPROC_DIR" -maxdepth 1 -type f -name '*.db' -delete
}

# Only web serves /metrics. Elsewhere the variable (e.g. from .env) would point at a directory the container does not
# have, and the first database query would fail on its missing metrics file.
if [ "$role" != web ]; then unset PROMETHEUS_MULTIPROC_DIR; fi

case "$role" in
  web)
    static_manifest
    metrics_dir
    exec gunicorn portal.wsgi \
      --config docker/gunicorn.conf.py \
      --bind "0.0.0.0:${PORT:-8000}" \
      --workers "${WEB_CONCURRENCY:-3}" \
      --threads "${GUNICORN_THREADS:-1}" \
      --timeout "${GUNICORN_TIMEOUT:-60}" \
      --graceful-timeout "${GUNICORN_GRACEFUL_TIMEOUT:-30}" \
      --forwarded-allow-ips "${FORWARDED_ALLOW_IPS:-127.0.0.1}" \
      --worker-tmp-dir /dev/shm \
      --error-logfile - \
      "$@"
    ;;
  worker)
    exec celery -A portal --quiet worker \
      --loglevel "${LOG_LEVEL:-INFO}" \
      --concurrency "${CELERY_CONCURRENCY:-2}" \
      "$@"
    ;;
  beat)
    # The schedule file must survive restarts (a volume) and belong to the single beat process.
    exec celery -A portal --quiet beat \
      --loglevel "${LOG_LEVEL:-INFO}" \
      --schedule "${BEAT_SCHEDULE_DIR:-/var/lib/portal/beat}/celerybeat-schedule" \
      "$@"
    ;;
  migrate)
    exec python manage.py migrate --noinput "$@"
    ;;
  manage.py)
    exec python manage.py "$@"
    ;;
  *)
    exec "$role" "$@"
    ;;
esac
