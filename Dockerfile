# The trust portal's production image: one image, four roles (docker/entrypoint.sh: web, worker, beat, migrate).
#   docker build -t trust-portal .        (podman: podman build --format docker -t trust-portal .)
# Behind a proxy that re-signs TLS, give pip its CA bundle:  --secret id=extra_ca,src=/path/to/ca-bundle.pem
# Python 3.11 and WeasyPrint's libraries come from Debian; Python packages only from requirements.txt (runtime pins,
# installed without resolving: a dependency missing from the pins fails `pip check` and the build).

FROM debian:bookworm-slim AS base
ENV LANG=C.UTF-8 \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH
# python3.11 and the libraries WeasyPrint loads (pango, harfbuzz, fontconfig) with the DejaVu fonts the PDFs name;
# tzdata for the portal's time zone, ca-certificates for SMTP over TLS and webhook calls.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      python3.11 ca-certificates tzdata \
      libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 libfontconfig1 fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*

FROM base AS builder
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3.11-venv \
 && rm -rf /var/lib/apt/lists/*
RUN python3.11 -m venv /opt/venv
COPY requirements.txt /tmp/requirements.txt
RUN --mount=type=secret,id=extra_ca,required=false \
    if [ -s /run/secrets/extra_ca ]; then export PIP_CERT=/run/secrets/extra_ca; fi; \
    pip install --no-cache-dir --disable-pip-version-check --no-deps -r /tmp/requirements.txt \
 && pip check
WORKDIR /app
COPY . /app
# Hashed, compressed static files and their manifest, made here so every container starts with them. The key only
# lets settings load for collectstatic; it lives in this build stage, never in the image.
ARG BUILD_SECRET_KEY=collectstatic-only-throwaway-key-not-used-by-any-running-portal-0123456789
RUN SECRET_KEY="$BUILD_SECRET_KEY" AUDIT_CHAIN_KEY="$BUILD_SECRET_KEY" DEBUG=0 STATIC_ROOT=/app/staticfiles \
    python manage.py collectstatic --noinput --verbosity 0 \
 && test -s /app/staticfiles/staticfiles.json

FROM base AS runtime
# pg_dump and pg_restore for `manage.py backup` / `restore`. Debian bookworm ships the PostgreSQL 15 client, which
# dumps servers up to version 15 only (README "Backup and restore").
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql-client \
 && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 portal \
 && useradd --system --uid 10001 --gid portal --home-dir /app --no-create-home --shell /usr/sbin/nologin portal \
 && mkdir -p /var/lib/portal/private /var/lib/portal/audit-checkpoints /var/lib/portal/beat \
 && chown -R portal:portal /var/lib/portal
COPY --from=builder /opt/venv /opt/venv
WORKDIR /app
COPY --chown=root:root . /app
COPY --from=builder --chown=root:root /app/staticfiles /app/staticfiles
# Bytecode compiled once here: containers run with PYTHONDONTWRITEBYTECODE on a read-only-for-them /app.
RUN chmod 0755 /app/docker/entrypoint.sh && python -m compileall -q /app
ENV STATIC_ROOT=/app/staticfiles \
    PRIVATE_STORAGE_ROOT=/var/lib/portal/private \
    BEAT_SCHEDULE_DIR=/var/lib/portal/beat \
    PORT=8000
USER portal:portal
EXPOSE 8000
# Liveness of the web role (no database query); compose gives the worker and beat their own checks.
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
  CMD ["python", "/app/docker/healthcheck.py", "/health/live"]
ENTRYPOINT ["/app/docker/entrypoint.sh"]
CMD ["web"]
