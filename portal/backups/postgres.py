"""PostgreSQL's own tools for `manage.py backup` and `restore`: pg_dump and pg_restore run with the connection settings
Django uses (DATABASE_URL, or a URL given for the restore target); the password reaches them in PGPASSWORD, never on
a command line that `ps` shows."""

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import environ
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.postgresql.client import DatabaseClient
from django.db.utils import load_backend

from portal.core.errors import ApplicationError

NOT_POSTGRES = (
    "The database is {vendor}, not PostgreSQL: backup and restore use pg_dump and pg_restore. For a first look on "
    "SQLite, stop the portal and copy db.sqlite3 together with the private files directory instead."
)
TOOL_MISSING = (
    "{tool} is not installed: install PostgreSQL's client tools (Debian: apt-get install postgresql-client; the "
    "container image has them), in a version at least as new as the database server."
)
TOOL_FAILED = "{tool} failed (exit status {status}): {detail}"
VERSION_HINT = (
    "{tool} must be at least as new as the database server: install the client tools of the server's major version "
    "(postgresql-client-NN from apt.postgresql.org) or run the backup where they are."
)
NO_DATABASE_NAME = "The database URL names no database: give it as postgres://user:password@host:5432/NAME."
CANNOT_CONNECT = "Cannot connect to the target database {name}: {detail}. Create it first (createdb {name})."
# Relations in the schemas a restore writes to: a new database made with createdb has none.
RELATIONS_SQL = """
    SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%%'
      AND n.nspname NOT LIKE 'pg_temp%%' AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
"""
CONNECTION_KEYS = ("NAME", "USER", "PASSWORD", "HOST", "PORT", "OPTIONS")


def database_settings(url: str | None = None) -> dict:
    """The connection settings of `url`, or of Django's default database, as a complete settings dict (the default
    one's, with the connection keys of `url`). Refuses anything but PostgreSQL."""
    current = connections[DEFAULT_DB_ALIAS]
    if url is None:
        if current.vendor != "postgresql":
            raise ApplicationError(NOT_POSTGRES.format(vendor=current.display_name))
        return dict(current.settings_dict)
    try:
        parsed = environ.Env.db_url_config(url)
    except (KeyError, ValueError) as exc:
        raise ApplicationError(f"The database URL is not valid: {exc}") from exc
    if "postgresql" not in parsed["ENGINE"]:
        raise ApplicationError(NOT_POSTGRES.format(vendor=parsed["ENGINE"].rsplit(".", 1)[-1]))
    if not parsed.get("NAME"):
        raise ApplicationError(NO_DATABASE_NAME)
    settings = dict(current.settings_dict)
    if current.vendor != "postgresql":
        settings["ENGINE"] = parsed["ENGINE"]
    settings.update({key: parsed.get(key) or ("" if key != "OPTIONS" else {}) for key in CONNECTION_KEYS})
    return settings


def describe(settings: dict) -> str:
    """`name on host:port`, for messages (never the password)."""
    host = settings.get("HOST") or "localhost"
    port = f":{settings['PORT']}" if settings.get("PORT") else ""
    return f"{settings['NAME']} on {host}{port}"


def _environment(settings: dict) -> dict:
    _, env = DatabaseClient.settings_to_cmd_args_env(settings, [])
    environment = dict(os.environ)
    for variable, key in (("PGHOST", "HOST"), ("PGPORT", "PORT"), ("PGUSER", "USER")):
        if settings.get(key):
            environment[variable] = str(settings[key])
    environment.update({k: str(v) for k, v in (env or {}).items() if v})
    return environment


def _run(tool: str, args: list[str], settings: dict) -> str:
    executable = shutil.which(tool)
    if executable is None:
        raise ApplicationError(TOOL_MISSING.format(tool=tool))
    result = subprocess.run(  # noqa: S603 - a fixed tool with arguments we build
        [executable, *args], env=_environment(settings), capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        detail = result.stderr.strip() or result.stdout.strip() or "no message"
        if "version mismatch" in detail:
            detail += f" {VERSION_HINT.format(tool=tool)}"
        raise ApplicationError(TOOL_FAILED.format(tool=tool, status=result.returncode, detail=detail))
    return result.stdout


def tool_version(tool: str) -> str:
    executable = shutil.which(tool)
    if executable is None:
        raise ApplicationError(TOOL_MISSING.format(tool=tool))
    result = subprocess.run([executable, "--version"], capture_output=True, text=True, check=False)  # noqa: S603
    return result.stdout.strip()


def pg_dump(settings: dict, dest: Path) -> None:
    """The whole database in pg_dump's custom format (compressed; pg_restore picks what it needs), taken from one
    consistent snapshot while the portal keeps running."""
    _run("pg_dump", ["--format=custom", f"--file={dest}", f"--dbname={settings['NAME']}"], settings)


def pg_restore(settings: dict, source: Path, *, clean: bool) -> None:
    """Load `source` into the database in one transaction: on any error nothing of it stays. Ownership and grants are
    left out, so the target's own user owns what it restores. `clean` first drops what the dump contains."""
    args = ["--no-owner", "--no-privileges", "--single-transaction", "--exit-on-error"]
    if clean:
        args += ["--clean", "--if-exists"]
    _run("pg_restore", [*args, f"--dbname={settings['NAME']}", str(source)], settings)


def _wrapper(settings: dict):
    return load_backend(settings["ENGINE"]).DatabaseWrapper(settings, alias="restore-target")


def relation_count(settings: dict) -> int:
    """How many tables, views and sequences the database holds outside PostgreSQL's own schemas."""
    wrapper = _wrapper(settings)
    try:
        with wrapper.cursor() as cursor:
            cursor.execute(RELATIONS_SQL)
            return cursor.fetchone()[0]
    except Exception as exc:  # noqa: BLE001 - any connection failure is told to the operator as it is
        raise ApplicationError(CANNOT_CONNECT.format(name=describe(settings), detail=str(exc).strip())) from exc
    finally:
        wrapper.close()


def server_version(settings: dict) -> str:
    wrapper = _wrapper(settings)
    try:
        with wrapper.cursor() as cursor:
            cursor.execute("SHOW server_version")
            return cursor.fetchone()[0]
    finally:
        wrapper.close()


@contextmanager
def default_database(settings: dict) -> Iterator[None]:
    """Run the ORM against `settings` for the block (the restore target, for the checks after a restore), then go back
    to the configured database. Not inside a transaction: the block must see what pg_restore committed."""
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.in_atomic_block:
        raise ApplicationError("A restore cannot run inside a database transaction.")
    saved = connection.settings_dict
    connection.close()
    connection.settings_dict = settings
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict = saved
