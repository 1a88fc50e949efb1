"""The DPA signing request never renders the agreement: how long the admin's request POST takes with a 2,400-row
sub-processor list (it records Annex 1 and enqueues), how long the worker's render of the agreement takes, how long
the signatory's page takes while it is being prepared and once it is ready, and how long countersigning (signature
page + merge + seal, still inside the staff POST) takes with that agreement.

Runs against a throw-away SQLite database and a temporary storage directory, so it needs no services; the broker is
replaced by a list (the request's enqueue is recorded) and the task is run here, as a worker would run it.
Usage: `make bench` or `python bench/sign_agreement.py [--rows 2400]`.
"""

import argparse
import io
import os
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
_tmp = tempfile.mkdtemp(prefix="bench-sign-")
os.environ["DATABASE_URL"] = f"sqlite:///{_tmp}/bench.sqlite3"
os.environ["PRIVATE_STORAGE_ROOT"] = f"{_tmp}/private"
os.environ.pop("REDIS_URL", None)
# Production settings refuse to start without an audit-chain key; this throwaway database gets a throwaway one.
os.environ.setdefault("AUDIT_CHAIN_KEY", "bench-only-audit-chain-key-not-a-secret-0123456789")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client, TestCase  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from pypdf import PdfReader  # noqa: E402

SIGNATORY = {"signatory_name": "Ines de Vries", "signatory_title": "Director", "signatory_email": "ines@acme.example"}


def seed(rows: int) -> None:
    sys.path.insert(0, str(ROOT / "bench"))
    import _harness  # noqa: PLC0415 - the same generated rows as the other benchmarks

    _harness.seed_subprocessors(rows)


def world():
    from dpa.versions import sample_dpa  # noqa: PLC0415
    from dpa.versions.models import DpaVersion  # noqa: PLC0415
    from dpa.versions.services import dpa_version_publish  # noqa: PLC0415
    from portal.organisations.models import Membership, Organisation  # noqa: PLC0415

    version = DpaVersion.objects.create(
        label="2026.1",
        title="Data Processing Agreement",
        body=sample_dpa.body("current", "Routewise B.V."),
        change_summary="Benchmark.",
        effective_date="2026-01-01",
    )
    dpa_version_publish(version=version, actor=None)
    org = Organisation.objects.create(name="Acme Health B.V.", tier=Organisation.Tier.ENTERPRISE)
    admin = get_user_model().objects.create_user("admin", email="admin@acme.example")
    Membership.objects.create(user=admin, organisation=org, role=Membership.Role.ADMIN)
    return org, admin


def timed(func, *args, **kwargs):
    started = time.perf_counter()
    result = func(*args, **kwargs)
    return time.perf_counter() - started, result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=2400)
    rows = parser.parse_args().rows
    setup_test_environment()
    call_command("migrate", verbosity=0)
    seed(rows)
    org, admin = world()

    from dpa.signing import enqueue  # noqa: PLC0415
    from dpa.signing.models import DpaExecution  # noqa: PLC0415
    from dpa.signing.services import dpa_execution_countersign  # noqa: PLC0415
    from dpa.signing.tasks import dpa_agreement_task  # noqa: PLC0415
    from portal.delivery.models import OutboundEmail  # noqa: PLC0415

    sent: list[int] = []
    enqueue.task = lambda name: type("Broker", (), {"delay": staticmethod(sent.append)})
    client = Client(HTTP_HOST="localhost")
    client.force_login(admin)
    client.get("/", secure=True)  # the process's first request loads middleware and templates
    with TestCase.captureOnCommitCallbacks(execute=True):
        request_s, response = timed(client.post, f"/org/{org.public_id}/dpa/request/", SIGNATORY, secure=True)
    assert response.status_code == 302, response.status_code
    assert len(sent) == 1, sent
    body = OutboundEmail.objects.get(template="dpa_signature_request").body_text
    sign_url = re.search(r"(/dpa/sign/[^/]+/)", body).group(1)
    signatory = Client(HTTP_HOST="localhost")
    waiting_s, waiting = timed(signatory.get, sign_url, secure=True)
    assert b"Your agreement is being prepared" in waiting.content
    task_s, _ = timed(dpa_agreement_task, sent[0])
    execution = DpaExecution.objects.get()
    pages = len(PdfReader(io.BytesIO(Path(_tmp, "private", execution.agreement_path).read_bytes())).pages)
    ready_s, ready = timed(signatory.get, sign_url, secure=True)
    assert b"Sign the DPA</button>" in ready.content
    data = {"action": "sign", "typed_name": "Ines de Vries", "confirms_authority": "on"}
    signed = signatory.post(sign_url, {**data, "agreement_sha256": execution.agreement_sha256}, secure=True)
    assert signed.status_code == 302, signed.status_code
    from django.contrib.auth.models import Group  # noqa: PLC0415

    legal = get_user_model().objects.create_user("counsel", email="counsel@processor.example", is_staff=True)
    legal.groups.add(Group.objects.get(name="legal"))
    execution.refresh_from_db()
    countersign_s, _ = timed(
        dpa_execution_countersign,
        execution=execution,
        actor=legal,
        typed_name="Lena Jansen",
        title="GC",
        confirms_authority=True,
    )
    print(f"DPA signing with {rows} sub-processors in Annex 1 ({pages}-page agreement):")
    print(f"  admin's request POST (records the annex, enqueues): {1000 * request_s:8.1f} ms -> 302")
    print(f"  sign page while being prepared:                     {1000 * waiting_s:8.1f} ms -> 200")
    print(f"  worker task (render the agreement + store):         {task_s:8.1f} s")
    print(f"  sign page once ready:                               {1000 * ready_s:8.1f} ms -> 200")
    print(f"  countersigning (signature page, merge, seal; POST): {countersign_s:8.1f} s")


if __name__ == "__main__":
    main()
