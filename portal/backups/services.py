"""One backup of the whole portal: the PostgreSQL database, every private file and every audit checkpoint, with a
manifest of their SHA-256 hashes, in a directory or a .tar archive (`manage.py backup` / `manage.py restore`).

Layout:
    manifest.json                       what is inside, with hashes; read first on restore
    database.dump                       pg_dump, custom format
    files/default/<name>                the private files (trust documents, rendered and executed PDFs, reports)
    files/audit_checkpoints/<name>      the signed audit checkpoints

Files are read and written through Django's storage API, so a backup taken from a bucket restores onto disk and the
other way round. The order makes a backup of a running portal consistent: checkpoints are copied before the dump (so
none claims more audit rows than the dump holds) and private files after it (evidence files are stored before the row
that records them commits and are never changed, so every file the dump names is there).

A restore changes nothing until the whole backup has matched its manifest, the target database is known to be empty
and no file in the storages would be replaced.
"""

import datetime as dt
import hashlib
import json
import os
import posixpath
import shutil
import tarfile
import tempfile
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.core.files import File
from django.core.files.storage import storages
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from portal.backups import events, postgres
from portal.core.errors import ApplicationError
from portal.evidence.files import evidence_file_hash

FORMAT = "trust-portal-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DUMP = "database.dump"
FILES = "files"
STORAGE_ALIASES = ("default", "audit_checkpoints")
ARCHIVE_SUFFIXES = (".tar", ".tar.gz", ".tgz")
CHUNK = 1024 * 1024

DEST_EXISTS = "{dest} already exists: give a new directory or archive name (a backup never replaces another)."
NOT_A_BACKUP = "{source} is not a backup of this portal: no {manifest} in it."
NOT_FOUND = "{source} does not exist: give a backup directory or a .tar archive made by manage.py backup."
BACKUP_DAMAGED = "The backup does not match its manifest, so nothing was restored:\n{problems}"
TARGET_NOT_EMPTY = (
    "The target database {name} is not empty ({count} tables, views or sequences): restore into a new, empty "
    "database (createdb), or pass --force to replace what the backup contains."
)
NEWER_RELEASE = (
    "The backup comes from a newer release of the portal ({version}; migrations this one does not have: {names}). "
    "Restore it with that release or a later one."
)
FILES_DIFFER = (
    "{count} files in the storages differ from the backup's copies ({examples}): restore into empty storage, or pass "
    "--force to replace them."
)


def partial_read(src) -> Callable[[], bytes]:
    """One CHUNK of `src` per call (for iter(..., b""))."""
    return lambda: src.read(CHUNK)


def app_version() -> str:
    try:
        with open(settings.BASE_DIR / "pyproject.toml", "rb") as fh:
            return str(tomllib.load(fh)["project"]["version"])
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return "unknown"


def _utc_now() -> str:
    return timezone.now().astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _backend(alias: str) -> str:
    storage = storages[alias]
    return f"{type(storage).__module__}.{type(storage).__qualname__}"


def storage_names(storage, folder: str = "") -> Iterator[str]:
    """Every file in `storage`, recursively, in a stable order (nothing for a directory not created yet)."""
    try:
        folders, names = storage.listdir(folder)
    except (FileNotFoundError, NotADirectoryError):
        return
    for name in sorted(names):
        yield posixpath.join(folder, name) if folder else name
    for sub in sorted(folders):
        yield from storage_names(storage, posixpath.join(folder, sub) if folder else sub)


def _member(alias: str, name: str) -> str:
    return f"{FILES}/{alias}/{name}"


def _safe_name(name: str) -> bool:
    path = PurePosixPath(name)
    return bool(name) and not path.is_absolute() and ".." not in path.parts and "\\" not in name


def _copy_out(alias: str, root: Path) -> list[dict]:
    """Copy every file of storage `alias` under `root`, hashing as it streams."""
    storage = storages[alias]
    entries = []
    for name in storage_names(storage):
        if not _safe_name(name):
            raise ApplicationError(f"The {alias} storage holds a file with a name a backup cannot hold: {name!r}.")
        target = root / _member(alias, name)
        target.parent.mkdir(parents=True, exist_ok=True)
        digest, size = hashlib.sha256(), 0
        with storage.open(name, "rb") as src, open(target, "wb") as out:
            for chunk in iter(partial_read(src), b""):
                digest.update(chunk)
                size += len(chunk)
                out.write(chunk)
        entries.append({"storage": alias, "name": name, "sha256": digest.hexdigest(), "size": size})
    return entries


def _applied_migrations() -> dict[str, str]:
    """The newest applied migration of each app in the dumped database."""
    latest: dict[str, str] = {}
    for app, name in MigrationRecorder(connections[DEFAULT_DB_ALIAS]).applied_migrations():
        latest[app] = max(latest.get(app, name), name)
    return dict(sorted(latest.items()))


def _is_archive(path: Path) -> bool:
    return path.name.endswith(ARCHIVE_SUFFIXES)


@dataclass
class BackupResult:
    path: Path
    manifest: dict
    manifest_sha256: str


def backup_create(*, dest: Path, say: Callable[[str], None] = lambda line: None) -> BackupResult:
    """Write a backup of the database and both storages to `dest` (a new directory, or an archive when the name ends
    in .tar, .tar.gz or .tgz). Built beside `dest` and moved into place at the end: a failed backup leaves nothing
    that looks like one."""
    db = postgres.database_settings()
    dest = dest.absolute()
    if dest.exists():
        raise ApplicationError(DEST_EXISTS.format(dest=dest))
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}.partial-", dir=dest.parent))  # mode 0700: owner only
    try:
        files = _copy_out("audit_checkpoints", staging)
        say(f"Audit checkpoints: {len(files)} files.")
        say(f"Dumping the database {postgres.describe(db)} with pg_dump ...")
        postgres.pg_dump(db, staging / DUMP)
        migrations = _applied_migrations()
        private = _copy_out("default", staging)
        say(f"Private files: {len(private)} files.")
        files += private
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "created_at": _utc_now(),
            "app_version": app_version(),
            "site": settings.SITE_URL,
            "database": {
                "file": DUMP,
                "sha256": _sha256_file(staging / DUMP),
                "size": (staging / DUMP).stat().st_size,
                "format": "pg_dump custom",
                "name": db["NAME"],
                "server_version": postgres.server_version(db),
                "pg_dump": postgres.tool_version("pg_dump"),
            },
            "migrations": migrations,
            "storages": {
                alias: {
                    "backend": _backend(alias),
                    "files": sum(1 for f in files if f["storage"] == alias),
                    "bytes": sum(f["size"] for f in files if f["storage"] == alias),
                }
                for alias in STORAGE_ALIASES
            },
            "files": [{**f, "path": _member(f["storage"], f["name"])} for f in files],
        }
        raw = (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode()
        (staging / MANIFEST).write_bytes(raw)
        if _is_archive(dest):
            _write_archive(staging, dest)
        else:
            os.replace(staging, dest)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return BackupResult(path=dest, manifest=manifest, manifest_sha256=hashlib.sha256(raw).hexdigest())


def _write_archive(staging: Path, dest: Path) -> None:
    """The archive is readable by its owner only, like the staging directory (personal data and signed contracts)."""
    partial = dest.with_name(dest.name + ".partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    plain = dest.name.endswith(".tar")
    try:
        with os.fdopen(fd, "wb") as fh:
            # one literal mode per call: the tarfile stubs type each mode separately
            tar = tarfile.open(fileobj=fh, mode="w") if plain else tarfile.open(fileobj=fh, mode="w:gz")  # noqa: SIM115
            with tar:
                tar.add(staging / MANIFEST, arcname=MANIFEST)
                tar.add(staging / DUMP, arcname=DUMP)
                if (staging / FILES).exists():
                    tar.add(staging / FILES, arcname=FILES)
        os.replace(partial, dest)
    finally:
        partial.unlink(missing_ok=True)


# --- reading a backup back ------------------------------------------------------------------------------------------


@dataclass
class Backup:
    """A backup unpacked in `root` whose every byte matched its manifest."""

    root: Path
    manifest: dict
    manifest_sha256: str

    @property
    def files(self) -> list[dict]:
        return self.manifest["files"]

    @property
    def dump(self) -> Path:
        return self.root / self.manifest["database"]["file"]


def _unpacked(source: Path, workdir: Path) -> Path:
    if not source.exists():
        raise ApplicationError(NOT_FOUND.format(source=source))
    if source.is_dir():
        return source
    if not tarfile.is_tarfile(source):
        raise ApplicationError(NOT_A_BACKUP.format(source=source, manifest=MANIFEST))
    try:
        with tarfile.open(source, "r:*") as tar:
            tar.extractall(workdir, filter="data")  # no absolute paths, links out or devices
    except (tarfile.TarError, OSError) as exc:
        raise ApplicationError(f"{source} could not be unpacked: {exc}") from exc
    return workdir


def _manifest_problems(root: Path, manifest: dict) -> list[str]:
    problems = []
    database = manifest.get("database") or {}
    expected = {DUMP: database}
    if database.get("file") != DUMP:
        problems.append(f"- the manifest names the database dump {database.get('file')!r}, not {DUMP}")
    for entry in manifest.get("files") or []:
        if entry.get("storage") not in STORAGE_ALIASES or not _safe_name(entry.get("name") or ""):
            problems.append(f"- the manifest lists a file it cannot restore: {entry!r}")
        elif entry.get("path") != _member(entry["storage"], entry["name"]):
            problems.append(f"- the manifest puts {entry['name']} at an unexpected place: {entry.get('path')!r}")
        else:
            expected[entry["path"]] = entry
    for path, entry in expected.items():
        local = root / path
        if not local.is_file():
            problems.append(f"- {path} is missing")
        elif local.stat().st_size != entry.get("size"):
            problems.append(f"- {path} has {local.stat().st_size} bytes, the manifest says {entry.get('size')}")
        elif _sha256_file(local) != entry.get("sha256"):
            problems.append(f"- {path} has SHA-256 {_sha256_file(local)}, the manifest says {entry.get('sha256')}")
    present = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}
    for extra in sorted(present - set(expected) - {MANIFEST}):
        problems.append(f"- {extra} is not listed in the manifest")
    return problems


def backup_read(*, source: Path, workdir: Path) -> Backup:
    """Unpack `source` into `workdir` if it is an archive and check every file against the manifest. Raises
    ApplicationError listing each missing, altered or unlisted file."""
    root = _unpacked(source, workdir)
    try:
        raw = (root / MANIFEST).read_bytes()
    except OSError:
        raise ApplicationError(NOT_A_BACKUP.format(source=source, manifest=MANIFEST))
    try:
        manifest = json.loads(raw)
    except ValueError:
        raise ApplicationError(BACKUP_DAMAGED.format(problems=f"- {MANIFEST} is not valid JSON"))
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ApplicationError(NOT_A_BACKUP.format(source=source, manifest=MANIFEST))
    if manifest.get("format_version") != FORMAT_VERSION:
        raise ApplicationError(
            f"The backup has format version {manifest.get('format_version')}; this release reads {FORMAT_VERSION}."
        )
    problems = _manifest_problems(root, manifest)
    if problems:
        raise ApplicationError(BACKUP_DAMAGED.format(problems="\n".join(problems)))
    return Backup(root=root, manifest=manifest, manifest_sha256=hashlib.sha256(raw).hexdigest())


# --- restoring ------------------------------------------------------------------------------------------------------


def _unknown_migrations(manifest: dict) -> list[str]:
    known = set(MigrationLoader(None, ignore_no_migrations=True).graph.nodes)
    return [f"{app}.{name}" for app, name in manifest.get("migrations", {}).items() if (app, name) not in known]


@dataclass
class FilePlan:
    write: list[dict] = field(default_factory=list)
    identical: list[dict] = field(default_factory=list)
    differing: list[dict] = field(default_factory=list)


def _stored_sha256(storage, name: str) -> str | None:

    return evidence_file_hash(path=name, storage=storage)


def _file_plan(backup: Backup) -> FilePlan:
    plan = FilePlan()
    for entry in backup.files:
        storage = storages[entry["storage"]]
        current = _stored_sha256(storage, entry["name"]) if storage.exists(entry["name"]) else None
        if current is None:
            plan.write.append(entry)
        elif current == entry["sha256"]:
            plan.identical.append(entry)
        else:
            plan.differing.append(entry)
    return plan


@dataclass
class RestoreResult:
    backup: Backup
    database: dict
    replaced_database: bool
    files_written: int
    files_identical: int
    files_replaced: int


def backup_restore(
    *, source: Path, workdir: Path, database_url: str | None = None, force: bool = False, say=lambda line: None
) -> RestoreResult:
    """Restore `source` into the target database (`database_url`, else the configured one) and the configured
    storages. Everything is checked before anything changes: the backup against its manifest, the release against the
    backup's migrations, the target database for emptiness and the storages for files that would be replaced (both
    allowed with `force`). The database is restored in one transaction; the checks of the result are the caller's."""
    db = postgres.database_settings(database_url)
    backup = backup_read(source=source, workdir=workdir)
    manifest = backup.manifest
    say(
        f"Backup of {manifest['created_at']} (portal {manifest['app_version']}): the database dump and "
        f"{len(backup.files)} files match manifest.json (SHA-256 {backup.manifest_sha256})."
    )
    unknown = _unknown_migrations(manifest)
    if unknown:
        raise ApplicationError(NEWER_RELEASE.format(version=manifest["app_version"], names=", ".join(unknown)))
    count = postgres.relation_count(db)
    if count and not force:
        raise ApplicationError(TARGET_NOT_EMPTY.format(name=postgres.describe(db), count=count))
    plan = _file_plan(backup)
    if plan.differing and not force:
        examples = ", ".join(f"{e['storage']}:{e['name']}" for e in plan.differing[:3])
        raise ApplicationError(FILES_DIFFER.format(count=len(plan.differing), examples=examples))

    say(f"Restoring the database into {postgres.describe(db)} with pg_restore ...")
    postgres.pg_restore(db, backup.dump, clean=bool(count))
    for entry in plan.differing:
        storages[entry["storage"]].delete(entry["name"])
    for entry in plan.write + plan.differing:
        storage = storages[entry["storage"]]
        with open(backup.root / entry["path"], "rb") as fh:
            saved = storage.save(entry["name"], File(fh, name=entry["name"]))
        if saved != entry["name"]:
            raise ApplicationError(
                f"The {entry['storage']} storage stored {entry['name']} as {saved}: another process wrote that name "
                "during the restore. Stop the portal's web, worker and beat containers and restore again with --force."
            )
    say(
        f"Files: {len(plan.write)} copied into the storages, {len(plan.identical)} already there"
        + (f", {len(plan.differing)} replaced" if plan.differing else "")
        + "."
    )
    return RestoreResult(
        backup=backup,
        database=db,
        replaced_database=bool(count),
        files_written=len(plan.write),
        files_identical=len(plan.identical),
        files_replaced=len(plan.differing),
    )


def backup_restore_record(*, result: RestoreResult, checks: dict[str, bool]) -> None:
    """Append the restore to the restored audit log, so the log itself says from which backup it came back and what
    its checks found (call it with the restored database as the default one)."""

    manifest = result.backup.manifest
    with transaction.atomic():
        events.backup_restored(
            details={
                "backup_created_at": manifest["created_at"],
                "backup_app_version": manifest["app_version"],
                "app_version": app_version(),
                "manifest_sha256": result.backup.manifest_sha256,
                "files": len(result.backup.files),
                "replaced_database": result.replaced_database,
                "files_replaced": result.files_replaced,
                "checks": checks,
            },
        )
