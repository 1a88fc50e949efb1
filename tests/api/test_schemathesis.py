"""Property-based contract test of the JSON API. schemathesis loads the OpenAPI document the app itself serves at
/api/schema/ (drf-spectacular), generates requests for every operation from it and checks every answer against
it: no 5xx, only documented status codes, content types, bodies and headers, and schema-breaking requests
rejected with a 4xx. Each operation runs as an anonymous caller, as an enterprise organisation's admin with
trust-portal access, as legal staff with a token not minted after MFA, and as legal staff (MFA on), the last
three with `Authorization: Token <key>` as API clients do, on the demo data set plus a few rows that let the
write operations succeed."""

import datetime as dt
import logging
import os
import time
import uuid
from collections import Counter, defaultdict

import pytest
import schemathesis
from django.contrib.auth import get_user_model
from django.core import signals
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.db.models import Case, When
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from rest_framework.throttling import SimpleRateThrottle
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from dpa.breaches.models import BreachIncident, BreachNotification
from dpa.breaches.services import breach_notification_send
from dpa.signing.models import DpaExecution
from dpa.versions.models import DpaVersion
from portal.audit.models import AuditEvent
from portal.deadlines.models import CalendarOverride, Obligation
from portal.deadlines.obligations import obligation_create
from portal.delivery.models import ChatAlert, OutboundEmail
from portal.evidence.models import PreparedFile
from portal.knowledge.models import Entry, Topic
from portal.organisations.demo import ENTERPRISE_ADMIN, LEGAL_EMAIL
from portal.organisations.models import ApiToken, Organisation
from portal.trust.documents import document_create
from portal.trust.models import AccessRequest, AutoApprovalRule, TrustDocument
from portal.trust.selectors import current_nda
from portal.trust.stamping import sample_pdf
from subprocessors.changes.models import SubprocessorChange
from subprocessors.listing.models import Subprocessor
from subprocessors.listing.selectors import PUBLIC_STATUSES
from subprocessors.objections.models import Objection
from subprocessors.webhooks.models import Webhook, WebhookDelivery
from tests.auth import staff_token, user_token
from tests.changes.factories import make_change, proposed
from tests.organisations.factories import OrganisationFactory, UserFactory
from tests.signing.factories import DpaVersionFactory
from tests.trust.factories import AccessRequestFactory, grant

pytestmark = pytest.mark.django_db

CHECKS = {
    # Requests that fit the schema: every answer must be documented (code, content type, body, headers).
    GenerationMode.POSITIVE: [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_schema_conformance,
        response_headers_conformance,
    ],
    # Requests that break it (wrong types, missing fields, bad formats): rejected with a documented 4xx.
    GenerationMode.NEGATIVE: [
        not_a_server_error,
        negative_data_rejection,
        status_code_conformance,
        content_type_conformance,
        response_schema_conformance,
    ],
}
REQUESTING = ("Acme Health B.V.", "Rule candidate 0", "Rule candidate 1")
EXAMPLES = {GenerationMode.POSITIVE: 25, GenerationMode.NEGATIVE: 10}  # per operation and caller
# A staff operation refuses every other caller before it reads the request: a few examples show that.
REFUSED_EXAMPLES = {GenerationMode.POSITIVE: 4, GenerationMode.NEGATIVE: 2}
STAFF_PREFIX = "/api/v1/staff/"
STAFF_CALLER = "legal staff"


@pytest.fixture
def wsgi_app(monkeypatch):
    """Django's own WSGI handler, in this thread and this test's transaction. As Django's test client does, the
    request signals must not close the connection that holds the test transaction."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    # The public endpoints throttle anonymous callers to 120 a minute, and this test is one client: with the real
    # rate most of its requests would get the (documented) 429 instead of exercising the endpoint.
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"anon": "100000/min", "user": "100000/min"})
    request_log = logging.getLogger("django.request")
    level = request_log.level
    request_log.setLevel(logging.ERROR)  # a thousand expected 4xx warnings would bury the figures; 5xx still log
    try:
        yield get_wsgi_application()
    finally:
        request_log.setLevel(level)
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def callers(db):
    """The demo data set, a few rows for the write operations to act on, and each caller's request headers."""
    call_command("load_demo", "--allow-without-debug", stdout=open("/dev/null", "w"))  # noqa: SIM115
    User = get_user_model()
    anna, legal = User.objects.get(email=ENTERPRISE_ADMIN), User.objects.get(email=LEGAL_EMAIL)
    grant(anna, "nda", organisation=Organisation.objects.get(name="Acme Health B.V."))
    for i in range(6):  # pending requests, half for approving and half for denying
        decision = ("approve", "deny")[i % 2]
        AccessRequestFactory(user=UserFactory(email=f"{decision}-{i}@prospect.example"), nda_version=current_nda())
    for i in range(4):
        DpaVersionFactory(label=f"draft-{i}", effective_date=DpaVersion.objects.first().effective_date)
    # staff API of the trust portal: grants to revoke, enterprise organisations without an auto-approval rule,
    # organisations to edit, documents to retire
    for i in range(3):
        grant(UserFactory(email=f"revoke-{i}@prospect.example"))
        for decision in ("approve", "deny"):  # the staff API's own (the first endpoints decide the others)
            AccessRequestFactory(
                user=UserFactory(email=f"staff-{decision}-{i}@prospect.example"), nda_version=current_nda()
            )
        OrganisationFactory(name=f"Rule candidate {i}", email_domain=f"candidate{i}.example")
        OrganisationFactory(name=f"Edit me {i}")
        document_create(
            title=f"Retire me {i}",
            category="other",
            access_level="public",
            upload=SimpleUploadedFile("retire.pdf", sample_pdf(["retire"])),
            version="1",
            actor=None,
        )
    for _ in range(3):  # the demo's announced change already has Acme's open objection
        make_change(
            status="announced", announced_at=timezone.now(), effective_date=timezone.localdate() + dt.timedelta(60)
        )
        make_change(status="draft", effective_date=timezone.localdate() + dt.timedelta(60))  # to announce
        proposed()  # free for a new addition drafted through the API
        make_change(  # to postpone and withdraw (the others stay open to objections)
            status="announced",
            announced_at=timezone.now(),
            effective_date=timezone.localdate() + dt.timedelta(60),
            reason="Withdraw me",
        )
        make_change(status="draft", effective_date=timezone.localdate() + dt.timedelta(60), reason="Delete me")
        obligation_create(  # to complete
            kind=Obligation.Kind.DISCLOSURE_ORDER,
            organisation=Organisation.objects.get(name="Acme Health B.V."),
            received_at=timezone.now(),
            actor=legal,
        )
    webhook = Webhook.objects.create(
        organisation=Organisation.objects.get(name="Acme Health B.V."), url="https://hooks.acme.example/in", secret="s"
    )
    for i in range(4):  # failed emails and webhook deliveries for staff to retry
        OutboundEmail.objects.create(
            idempotency_key=f"failed-{i}",
            to_email=f"gone-{i}@acme.example",
            subject="S",
            body_text="B",
            status="failed",
        )
        WebhookDelivery.objects.create(webhook=webhook, event=f"test.{i}", payload={}, status="failed", attempts=7)
    WebhookDelivery.objects.create(webhook=webhook, event="test.sent", payload={}, status="succeeded", attempts=1)
    _breach_rows(legal)
    # staff API, miscellaneous: calendar overrides to remove, tokens to revoke, failed chat alerts and prepared files
    # to retry, pending requests to approve in bulk
    for i in range(3):
        CalendarOverride.objects.create(date=dt.date(2030, 1, 2 + i), kind="closed", note=f"Remove me {i}")
        user_token(UserFactory(email=f"token-owner-{i}@prospect.example"), name=f"Revoke me {i}")
        ChatAlert.objects.create(
            idempotency_key=f"chat-failed-{i}",
            kind="objection",
            text="t",
            url="https://portal.example/staff/",
            status="failed",
        )
        PreparedFile.objects.create(
            kind="schemathesis", key=f"failed-{i}", task_name="portal.evidence.tasks.none", status="failed"
        )
        AccessRequestFactory(user=UserFactory(email=f"bulk-{i}@prospect.example"), nda_version=current_nda())
    _dpa_rows()
    # identity: the WSGI transport hands schemathesis the body as sent, and it does not decode gzip as an HTTP
    # client does
    plain = {"Accept-Encoding": "identity"}
    return {
        "anonymous": plain,
        "enterprise admin": {**plain, "Authorization": f"Token {user_token(anna)}"},
        # legal staff whose token was not minted after MFA: every staff operation must refuse it
        "legal without MFA": {**plain, "Authorization": f"Token {user_token(legal)}"},
        "legal staff": {**plain, "Authorization": f"Token {staff_token(legal)}"},
    }


def _failed_first(rows):
    """The failed rows (a retry succeeds once per row) and one that is not failed."""
    return rows.filter(status="failed").order_by("pk") | rows.filter(
        pk__in=rows.exclude(status="failed").order_by("pk").values("pk")[:1]
    )


def _breach_rows(legal):
    """Incidents whose notices can be sent, and Acme's notices of them: one delivered (to acknowledge), one whose
    delivery failed (to resend)."""
    from django.test import override_settings

    from tests.breaches.factories import deliver, make_incident, refuse_every_attempt

    acme = Organisation.objects.get(name="Acme Health B.V.")
    for i in range(3):
        make_incident(organisations=[acme], actor=legal, title=f"Sendable {i}")
    delivered = make_incident(organisations=[acme], actor=legal, title="Delivered to Acme")
    deliver(breach_notification_send(notification=delivered.notifications.get(), actor=legal))
    failed = make_incident(organisations=[acme], actor=legal, title="Failed for Acme")
    with override_settings(EMAIL_BACKEND="tests.delivery.test_outbox.FailingBackend"):
        email_id = breach_notification_send(notification=failed.notifications.get(), actor=legal).email_id
        refuse_every_attempt(email_id)


def _real_values():
    """Existing identifiers and valid field values, keyed by parameter or body field name, so that most generated
    requests reach real rows and the success paths, not only 400s and 404s. Read again after each successful
    write (a decided request is no longer pending, PUT and PATCH may rename a draft)."""
    requests = AccessRequest.objects.order_by("pk")
    pending = requests.filter(status=AccessRequest.Status.PENDING)
    decided = [str(r.public_id) for r in requests.exclude(status=AccessRequest.Status.PENDING)[:1]]
    execution = DpaExecution.objects.exclude(executed_sha256="").exclude(executed_sha256__isnull=True).first()
    documents = TrustDocument.objects.order_by("pk")
    changes = SubprocessorChange.objects.order_by("pk")
    executions = DpaExecution.objects.order_by("pk")
    to_countersign = executions.filter(status="awaiting_countersignature", organisation__name__startswith="Countersign")
    return {
        "path": {
            "approve": [str(r.public_id) for r in pending.filter(user__email__startswith="approve-")] + decided,
            "deny": [str(r.public_id) for r in pending.filter(user__email__startswith="deny-")] + decided,
            "staff approve": [str(r.public_id) for r in pending.filter(user__email__startswith="staff-approve-")]
            + decided,
            "staff deny": [str(r.public_id) for r in pending.filter(user__email__startswith="staff-deny-")] + decided,
            # announced changes Acme has not objected to yet (one open objection per organisation and change)
            "objections": [
                str(c.public_id)
                for c in SubprocessorChange.objects.filter(status="announced")
                .exclude(reason="Withdraw me")
                .exclude(objections__organisation__name="Acme Health B.V.")
                .order_by("pk")
            ],
            "label": list(DpaVersion.objects.order_by("label").values_list("label", flat=True)),
            "breaches": [str(i.public_id) for i in BreachIncident.objects.order_by("pk")],
            "resend": [str(i.public_id) for i in BreachIncident.objects.filter(notifications__status="failed")],
            "resend:notification_id": [
                str(n.public_id) for n in BreachNotification.objects.filter(status="failed").order_by("incident")
            ],
            "acknowledge:notification_id": [
                str(n.public_id)
                for n in BreachNotification.objects.filter(
                    organisation__name="Acme Health B.V.", delivered_at__isnull=False
                )
            ],
            "slug": list(Subprocessor.objects.filter(status__in=PUBLIC_STATUSES).values_list("slug", flat=True)[:5]),
            # staff API rows
            "audit-events": list(AuditEvent.objects.order_by("-id").values_list("id", flat=True)[:5]),
            "outbox": list(_failed_first(OutboundEmail.objects.all()).values_list("pk", flat=True)),
            "delivery_id": [
                str(d) for d in _failed_first(WebhookDelivery.objects.all()).values_list("delivery_id", flat=True)
            ],
            "access-requests": [str(r.public_id) for r in requests[:5]],
            # access requests' and API tokens' revoke share the action: each answers 404 for the other's ids
            "revoke": [str(r.public_id) for r in requests.filter(user__email__startswith="revoke-", status="approved")]
            + decided
            + [str(t.public_id) for t in ApiToken.objects.filter(name__startswith="Revoke me")],
            "domain": list(AutoApprovalRule.objects.order_by("domain").values_list("domain", flat=True)),
            "trust-documents": [str(d.public_id) for d in documents.exclude(title__startswith="Retire me")],
            "replace": [str(d.public_id) for d in documents.exclude(title__startswith="Retire me")],
            "retire": [str(d.public_id) for d in documents.filter(title__startswith="Retire me")],
            "organisations": [str(o.public_id) for o in Organisation.objects.filter(name__startswith="Edit me")],
            "staff objections": [str(o.public_id) for o in Objection.objects.order_by("pk")],
            "staff subprocessor-changes": [str(c.public_id) for c in changes],
            "announce": [str(c.public_id) for c in changes.filter(status="draft").exclude(reason="Delete me")],
            "PATCH subprocessor-changes": [str(c.public_id) for c in changes.filter(status="draft")],
            "DELETE subprocessor-changes": [str(c.public_id) for c in changes.filter(reason="Delete me")],
            "breaches/organisations": [
                str(i.public_id) for i in BreachIncident.objects.exclude(status="closed").order_by("pk")
            ],
            "withdraw": [str(c.public_id) for c in changes.filter(status="announced", reason="Withdraw me")],
            "postpone": [str(c.public_id) for c in changes.filter(status="announced", reason="Withdraw me")],
            "obligations": [str(o.public_id) for o in Obligation.objects.order_by("pk")],
            "complete": [
                str(o.public_id)
                for o in Obligation.objects.filter(completed_at__isnull=True)
                .exclude(kind="breach_notification")
                .order_by("pk")
            ],
            "entries": [str(e.public_id) for e in Entry.objects.order_by("pk")],
            "calendar-overrides": list(CalendarOverride.objects.order_by("pk").values_list("pk", flat=True)),
            "api-tokens": [str(t.public_id) for t in ApiToken.objects.filter(name__startswith="Revoke me")],
            "chat-alerts": list(_failed_first(ChatAlert.objects.all()).values_list("pk", flat=True)),
            "prepared-files": [
                str(p) for p in _failed_first(PreparedFile.objects.all()).values_list("public_id", flat=True)
            ],
            "dpa-executions": [str(e.public_id) for e in executions],
            "countersign": [str(e.public_id) for e in to_countersign],
            "decline": [str(e.public_id) for e in executions.filter(status="awaiting_signatory", agreement_error="")],
            "retry-agreement": [str(e.public_id) for e in executions.exclude(agreement_error="")],
        },
        "body_for": {  # body values for one operation only (None: leave the field out)
            # a request for a company by name: every caller may make one (an organisation needs membership)
            "POST /api/v1/access-requests/": {"company": ["Prospect Ltd"], "organisation": None},
            # a proposed entry with real country codes (an active processor of customer data needs a change notice)
            "POST /api/v1/staff/subprocessors/": {
                "status": ["proposed"],
                "hq_country": ["DE", "FR"],
                "processing_region": ["DE", "EU"],
                "slug": None,
            },
            "POST /api/v1/staff/subprocessor-changes/": {
                "kind": ["add"],
                "subprocessor": list(
                    Subprocessor.objects.filter(status="proposed", changes__isnull=True).values_list("slug", flat=True)
                ),
            },
        },
        "body": {
            "organisation": [  # Acme (the customer's own: objections, access requests) at every third pick
                str(o.public_id)
                for o in Organisation.objects.filter(
                    name__in=["Acme Health B.V.", "Rule candidate 0", "Rule candidate 1"]
                ).order_by(Case(When(name="Acme Health B.V.", then=0), default=1), "name")
            ],
            "subprocessor": [  # proposed ones for additions, active ones for the rest and for breaches
                *Subprocessor.objects.filter(status="proposed", changes__isnull=True)
                .order_by("pk")
                .values_list("slug", flat=True)[:3],
                *Subprocessor.objects.filter(status="active").order_by("pk").values_list("slug", flat=True)[:3],
            ],
            "topic": list(Topic.objects.order_by("pk").values_list("slug", flat=True)[:3]),
            "effective_date": [(timezone.localdate() + dt.timedelta(days=60)).isoformat()],
            "organisations": [[str(Organisation.objects.get(name="Acme Health B.V.").public_id)]],
            "ids": [[str(r.public_id) for r in pending.filter(user__email__startswith="bulk-")]],
            "nda_version": [current_nda().version],
            "accept_nda": [True],
            "sha256": [execution.executed_sha256] if execution else [],
            "body": [DpaVersion.objects.first().body],
            "file": [sample_pdf(["schemathesis"])],
            # countersigning: the hashes in the order of the "countersign" ids (the same pick takes both)
            "agreement_sha256": [e.agreement_sha256 for e in to_countersign],
            "typed_name": ["Lena Jansen"],
            "confirms_authority": [True],
            "reason": ["The signatory is not a registered director."],
        },
    }


def _dpa_rows():
    """Signed DPAs for the staff API: signed by the customer (to countersign), waiting for their signatory (to
    decline), and agreements whose every render failed (to retry)."""
    from dpa.signing.agreement import MAX_ATTEMPTS
    from tests.signing.factories import awaiting_countersignature

    version = DpaVersion.objects.filter(status=DpaVersion.Status.PUBLISHED).first()
    for i in range(3):
        awaiting_countersignature(organisation=OrganisationFactory(name=f"Countersign me {i}"), version=version)
        awaiting_countersignature(
            organisation=OrganisationFactory(name=f"Decline me {i}"), version=version, status="awaiting_signatory"
        )
        awaiting_countersignature(
            organisation=OrganisationFactory(name=f"Retry me {i}"),
            version=version,
            status="awaiting_signatory",
            agreement_path="",
            agreement_sha256="",
            customer_signed_name="",
            customer_signed_at=None,
            agreement_attempts=MAX_ATTEMPTS,
            agreement_error="Rendering failed",
        )


def _path_pool(operation, name, real):
    """Real ids for a path parameter. An object's id (`public_id`, `id`) by the path's action (`approve`), then by
    its resource (`trust-documents`), staff paths first trying keys of their own (`staff approve`); other parameters
    by `<action>:<name>`, then by name. None known: the generated values."""
    segments = operation.path.strip("/").split("/")
    if name in ("public_id", "id"):
        resource = segments[segments.index("{" + name + "}") - 1]
        action = None if segments[-1].startswith("{") else segments[-1]
        keys = [action, resource] if action else [resource]
        if "/staff/" in operation.path:
            keys = [f"staff {key}" for key in keys[:1]] + keys[:1] + [f"staff {key}" for key in keys[1:]] + keys[1:]
        # most specific first: this method on this resource (`DELETE subprocessor-changes`), this resource's action
        keys = [f"{operation.method.upper()} {resource}", f"{resource}/{action}", *keys]
        return next((real["path"][key] for key in keys if key in real["path"]), [])
    return real["path"].get(f"{segments[-1]}:{name}", real["path"].get(name, []))


def _exercise(operation, mode, caller, headers, tally):
    names = [p.name for p in operation.path_parameters]
    staff_only = operation.path.startswith(STAFF_PREFIX)
    examples = REFUSED_EXAMPLES if staff_only and caller != STAFF_CALLER else EXAMPLES

    @settings(
        max_examples=examples[mode],
        derandomize=True,  # the same requests on every run
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode), pick=st.integers(min_value=0, max_value=9))
    def run(case, pick):
        if tally["real"] is None:
            tally["real"] = _real_values()
        real = tally["real"]
        # Mostly real rows, sometimes the generated values. A schema-breaking GET keeps its generated path: the API
        # ignores query parameters it does not know, so on a real row a case broken only by such a key would pass.
        if pick < 7 and (mode is GenerationMode.POSITIVE or operation.body):
            for name in names:
                pool = _path_pool(operation, name, real)
                if pool:
                    case.path_parameters[name] = pool[pick % len(pool)]
            if mode is GenerationMode.POSITIVE and isinstance(case.body, dict):
                for name, values in real["body_for"].get(operation.label, {}).items():  # this operation's own
                    if values is None:
                        case.body.pop(name, None)
                    elif values:
                        case.body[name] = values[pick % len(values)]
                for name in case.body.keys() & real["body"].keys() - real["body_for"].get(operation.label, {}).keys():
                    if real["body"][name]:
                        case.body[name] = real["body"][name][pick % len(real["body"][name])]
        if mode is GenerationMode.POSITIVE and case.headers and "Idempotency-Key" in case.headers:
            # generated keys repeat ("0", "00"…): a repeat with another body is the documented 409, never the write
            case.headers["Idempotency-Key"] = str(uuid.uuid4())
        try:
            response = case.call_and_validate(headers=headers, checks=CHECKS[mode])
        except FailureGroup as group:
            tally["failures"].append((caller, f"{mode} {operation.label}", str(group)))
        else:
            tally["status"][caller, response.status_code // 100] += 1
            if staff_only and caller != STAFF_CALLER and response.status_code < 400:
                tally["failures"].append((caller, f"{mode} {operation.label}", f"answered {response.status_code}"))
            if mode is GenerationMode.POSITIVE and response.status_code >= 400:
                tally["refusals"][operation.label][f"{caller}: {response.status_code} {response.text[:160]}"] += 1
            if 200 <= response.status_code < 300:
                tally["succeeded"].add(operation.label)
                if operation.method.upper() != "GET":
                    tally["real"] = None  # a write may have decided a request or renamed a draft
        tally["requests"] += 1

    try:
        run()
    except Unsatisfiable:
        # Nothing in the operation can be made invalid (no parameters, no body): there is no negative case.
        assert mode is GenerationMode.NEGATIVE
        assert not operation.path_parameters
        assert not operation.query
        assert not operation.body


def test_every_operation_conforms_to_the_served_schema(wsgi_app, callers):
    started = time.monotonic()
    schema = schemathesis.openapi.from_wsgi(
        "/api/schema/", wsgi_app, headers={"Accept": "application/vnd.oai.openapi+json"}
    )
    only = os.environ.get("SCHEMATHESIS_ONLY", "")  # e.g. "staff/breaches": to look into some operations
    operations = [op for op in (result.ok() for result in schema.get_all_operations()) if only in op.label]
    assert only or len(operations) >= 19
    tally = {
        "requests": 0,
        "failures": [],
        "status": Counter(),
        "succeeded": set(),
        "real": None,
        "refusals": defaultdict(Counter),
    }
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            for caller, headers in callers.items():
                _exercise(operation, mode, caller, headers, tally)
    seconds = time.monotonic() - started

    failures = tally["failures"]
    statuses = ", ".join(f"{caller} {code}xx: {n}" for (caller, code), n in sorted(tally["status"].items()))
    print(
        f"\n[schemathesis] {len(operations)} operations x {len(callers)} callers, {tally['requests']} requests "
        f"({statuses}); {len(tally['succeeded'])} operations answered 2xx; {len(failures)} failures; {seconds:.1f} s"
    )
    distinct = {}
    for caller, label, text in failures:
        titles = tuple(line.strip() for line in text.splitlines() if line.startswith("- ") or "Received:" in line)
        distinct.setdefault((caller, label, titles), text)
    for (caller, label, _), text in distinct.items():
        print(f"--- {caller}: {label}\n{text}")
    assert not failures, f"{len(distinct)} distinct failures, printed above"
    # the data set lets every operation succeed for some caller, so the checks saw real bodies, not only errors
    never = sorted({op.label for op in operations} - tally["succeeded"])
    for label in never:  # why: the most frequent refusals
        print(f"--- never 2xx: {label}: " + "; ".join(f"{n}x {r}" for r, n in tally["refusals"][label].most_common(6)))
    assert never == [], f"never answered 2xx: {never}"
