"""How to build a URL for every named view, pointing at objects that belong to the *victim* organisation.

`tests/security/test_urlconf.py` walks the whole URLconf; a view it finds without an entry here fails the
test, so every new view is covered by the outsider checks the day it is added. Each sample returns the
kwargs for `reverse()`, creating whatever the view needs, with text containing `MARKER` so the test can
tell when anything private leaks into a response.
"""

import datetime as dt
import uuid

MARKER = "zyxwv-private"

# Views anyone may open (anonymous 200 is fine). They are still checked for leaking the marker.
PUBLIC = {
    "home",
    "healthz",
    # probes for load balancers (metrics need a token: 404 without one configured, 401 without the token)
    "health_live",
    "health_ready",
    "organisations:invitation",
    # DPA versions: the version list and summaries are public; verification answers anyone.
    "versions:list",
    "versions:detail",
    "signing:verify",
    "versions:api_list",
    "versions:api_detail",
    "signing:api_verify",
    # subprocessors: the public list and its exports, and the signed subscription links
    "listing:list",
    "listing:history",
    "listing:subscribe",
    "listing:subscribe_sent",
    "listing:subscribe_confirm",
    "listing:unsubscribe",
    "listing:api_list",
    "listing:api_detail",
    "changes:feed",
    "listing:export_csv",
    "listing:export_pdf",
    # trust-portal access: the document list and what anyone may open
    "trust:home",
    "trust:api_documents",
    "trust:api_nda",
}

# Prefixes not walked here, with the reason: the admin needs is_staff + MFA (middleware, tested in
# tests/staff/test_staff.py); allauth's views are tested in tests/organisations/test_accounts.py; the schema and
# API docs are public by design.
SKIP_PREFIXES = ("admin/", "accounts/", "api/schema/", "api/docs/")
# API operations only legal staff may call (every /staff/ and /admin/ URL is staff-only too).
STAFF_API = {"versions:api_publish", "trust:api_access_request_approve", "trust:api_access_request_deny"}


def _prepared_file(world):
    """A failed render (a breach report about the victim's incident) that only legal staff may retry."""
    from portal.evidence.models import PreparedFile

    job = PreparedFile.objects.create(
        kind="breach_report",
        key=f"sample-{uuid.uuid4()}",
        task_name="dpa.breaches.tasks.breach_report_task",
        label=f"breach report of {MARKER}",
        permission="breaches.view_breachincident",
        status=PreparedFile.Status.FAILED,
        error=f"{MARKER}: render failed",
    )
    return {"public_id": job.public_id}


def _org(world):
    return {"public_id": world.org.public_id}


def _capability(name):
    """Signed or tokenised links: an outsider does not hold the token, so they try a made-up one."""
    return lambda world: {name: uuid.uuid4()}


def _membership(world):
    return {"public_id": world.org.public_id, "membership_id": world.membership.pk}


def _proposed_subprocessor(world):
    """A not-yet-announced row: no public page may show it."""
    from subprocessors.listing.models import Subprocessor

    sp, _ = Subprocessor.objects.get_or_create(
        slug="unannounced-proposal",
        defaults={
            "name": f"Proposal {MARKER}",
            "category": "ai_provider",
            "purpose": MARKER,
            "hq_country": "NL",
            "processing_region": "NL",
            "status": "proposed",
        },
    )
    return {"slug": sp.slug}


def _access_request(world):
    from portal.trust.models import AccessRequest
    from tests.trust.factories import AccessRequestFactory

    req = AccessRequest.objects.filter(user=world.admin).first() or AccessRequestFactory(
        user=world.admin, organisation=world.org, company=MARKER, reason=MARKER
    )
    return {"public_id": req.public_id}


def _nda_document(world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from portal.trust.documents import document_create
    from portal.trust.models import TrustDocument
    from portal.trust.stamping import sample_pdf

    doc = TrustDocument.objects.first() or document_create(
        title="Penetration test summary",
        category="pentest",
        access_level="nda",
        upload=SimpleUploadedFile("pentest.pdf", sample_pdf([MARKER])),
        version="1",
        actor=None,
    )
    return {"public_id": doc.public_id}


def _breach(world):
    """A delivered breach notification and an obligation of the victim organisation, created once per world."""
    if not hasattr(world, "breach"):
        from django.utils import timezone

        from dpa.breaches.services import breach_incident_create, breach_notification_send
        from portal.audit.services import Actor
        from portal.deadlines.obligations import obligation_create
        from portal.delivery.outbox import outbox_deliver

        actor = Actor(label="samples")
        incident = breach_incident_create(
            actor=actor,
            organisations=[world.org],
            title=f"Breach {MARKER}",
            aware_at=timezone.now(),
            nature=f"{MARKER} nature of the breach, {MARKER}",
            data=MARKER,
            consequences=MARKER,
            measures=MARKER,
        )
        notification = breach_notification_send(notification=incident.notifications.get(), actor=actor)
        outbox_deliver(email_id=notification.email_id)
        obligation = obligation_create(
            kind="disclosure_order", organisation=world.org, received_at=timezone.now(), actor=actor, title=MARKER
        )
        world.breach = (incident, notification, obligation)
    return world.breach


def _incident(world):
    return {"public_id": _breach(world)[0].public_id}


def _obligation(world):
    return {"public_id": _breach(world)[2].public_id}


def _incident_notification(world):
    incident, notification, _ = _breach(world)
    return {"public_id": incident.public_id, "notification_id": notification.public_id}


def _org_notification(world):
    return {"public_id": world.org.public_id, "notification_id": _breach(world)[1].public_id}


def _dpa_version(world):
    from dpa.versions.models import DpaVersion

    version = DpaVersion.objects.filter(label="2026.1").first()
    if version is None:
        from tests.signing.factories import published_version

        version = published_version(label="2026.1")
    return {"label": version.label}


def _dpa_execution(world):
    """An open signing request of the victim organisation, made without rendering a PDF."""
    import datetime as dt

    from django.utils import timezone

    from dpa.signing.models import DpaExecution

    execution = DpaExecution.objects.filter(organisation=world.org).first()
    if execution is None:
        execution = DpaExecution.objects.create(
            organisation=world.org,
            version=_dpa_version_object(),
            requested_by=world.admin,
            agreement_path="dpa/pdf/none.pdf",
            agreement_sha256="0" * 64,
            signatory_name=f"Signatory {MARKER}",
            signatory_title="Director",
            signatory_email=f"{MARKER}-sign@victim.example",
            link_expires_at=timezone.now() + dt.timedelta(days=14),
        )
    return execution


def _api_token(world):
    """The victim admin's own API token (named after the marker, so showing it to anyone else is a leak)."""
    from portal.organisations.models import ApiToken

    if not hasattr(world, "organisations:token"):
        world.api_token, _ = ApiToken.objects.create(
            world.admin, name=f"{MARKER} sync", password_fingerprint="x", expiry=dt.timedelta(days=30)
        )
    return {"public_id": world.api_token.public_id}


def _dpa_version_object():
    from dpa.versions.models import DpaVersion

    return DpaVersion.objects.get(label=_dpa_version(None)["label"])


SAMPLES = {
    "home": lambda world: {},
    "healthz": lambda world: {},
    "health_live": lambda world: {},
    "health_ready": lambda world: {},
    "metrics": lambda world: {},
    "organisations:list": lambda world: {},
    "organisations:new": lambda world: {},
    "organisations:detail": _org,
    "organisations:contacts": _org,
    "organisations:invite": _org,
    "organisations:member": _membership,
    "organisations:invitation": _capability("token"),
    "staff:home": lambda world: {},
    "staff:audit": lambda world: {},
    "staff:audit_export": lambda world: {},
    "staff:audit_checkpoint": lambda world: {},
    "delivery:staff_outbox": lambda world: {},
    "delivery:staff_outbox_retry": lambda world: {"pk": world.outbound_email.pk},
    "organisations:staff_list": lambda world: {},
    "organisations:staff_edit": _org,
    "deadlines:staff_calendar": lambda world: {},
    "versions:list": lambda world: {},
    "versions:detail": _dpa_version,
    "versions:pdf": _dpa_version,
    "versions:diff": lambda world: {},
    "signing:verify": lambda world: {},
    "signing:sign": lambda world: {"token": "made-up-token"},
    "signing:sign_pdf": lambda world: {"token": "made-up-token"},
    "signing:request": _org,
    "signing:executed_pdf": lambda world: {
        "public_id": world.org.public_id,
        "execution_id": _dpa_execution(world).public_id,
    },
    "signing:withdraw": lambda world: {
        "public_id": world.org.public_id,
        "execution_id": _dpa_execution(world).public_id,
    },
    "versions:staff_list": lambda world: {},
    "versions:staff_new": lambda world: {},
    "versions:staff_edit": _dpa_version,
    "versions:staff_publish": _dpa_version,
    "versions:staff_preview": _dpa_version,
    "signing:staff_list": lambda world: {},
    "signing:staff_detail": lambda world: {"public_id": _dpa_execution(world).public_id},
    "signing:staff_pdf": lambda world: {"public_id": _dpa_execution(world).public_id},
    "signing:staff_agreement_retry": lambda world: {"public_id": _dpa_execution(world).public_id},
    "signing:staff_register_pdf": lambda world: {},
    "evidence:staff_report": lambda world: {"public_id": uuid.uuid4()},
    "evidence:staff_prepared_retry": _prepared_file,
    "signing:staff_register_csv": lambda world: {},
    "versions:api_list": lambda world: {},
    "versions:api_detail": _dpa_version,
    "versions:api_publish": _dpa_version,
    "signing:api_list": lambda world: {},
    "signing:api_verify": lambda world: {},
    # subprocessors
    "listing:list": lambda world: {},
    "listing:history": lambda world: {},
    "listing:subscribe": lambda world: {},
    "listing:subscribe_sent": lambda world: {},
    "listing:subscribe_confirm": _capability("token"),
    "listing:unsubscribe": _capability("token"),
    "changes:feed": lambda world: {},
    "listing:export_csv": lambda world: {},
    "listing:export_pdf": lambda world: {},
    "listing:api_list": lambda world: {},
    "listing:api_detail": lambda world: {"slug": "no-such-provider"},
    "listing:staff_list": lambda world: {},
    "listing:staff_new": lambda world: {},
    "listing:staff_edit": _proposed_subprocessor,
    # trust-portal access
    "trust:home": lambda world: {},
    "trust:access_request": lambda world: {},
    "trust:access_status": lambda world: {},
    "trust:document_file": _nda_document,
    "organisations:token": lambda world: {},
    "organisations:token_revoke": _api_token,
    "organisations:staff_tokens": lambda world: {},
    "organisations:staff_token_revoke": _api_token,
    "trust:staff_queue": lambda world: {},
    "trust:staff_bulk_approve": lambda world: {},
    "trust:staff_rules": lambda world: {},
    "trust:staff_nda_versions": lambda world: {},
    "trust:staff_detail": _access_request,
    "trust:staff_documents": lambda world: {},
    "trust:staff_document_detail": _nda_document,
    "trust:api_access_requests": lambda world: {},
    "trust:api_access_request_approve": _access_request,
    "trust:api_access_request_deny": _access_request,
    "trust:api_nda": lambda world: {},
    "trust:api_documents": lambda world: {},
    # dpa: breaches and obligations (staff only, except the customer's own notification and the signed ack link)
    "breaches:staff_list": lambda world: {},
    "breaches:staff_new": lambda world: {},
    "breaches:staff_detail": _incident,
    "breaches:staff_edit": _incident,
    "breaches:staff_send": _incident,
    "breaches:staff_followup": _incident,
    "breaches:staff_resend": _incident_notification,
    "breaches:staff_add_organisations": _incident,
    "breaches:staff_report": _incident,
    "deadlines:staff_list": lambda world: {},
    "deadlines:staff_new": lambda world: {},
    "deadlines:staff_export_csv": lambda world: {},
    "deadlines:staff_export_ics": lambda world: {},
    "deadlines:staff_detail": _obligation,
    "deadlines:staff_evidence": _obligation,
    "breaches:notification_detail": _org_notification,
    "breaches:ack": _capability("token"),
    "deadlines:feed": _capability("token"),
}


# --- Sub-processor changes, objections and webhooks -------------------------------------------------------
def _change(world):
    from tests.changes.factories import make_change

    if not hasattr(world, "change"):
        world.change = make_change(status="announced")
    return world.change


def _objection(world):
    from subprocessors.objections.models import Objection

    if not hasattr(world, "objection"):
        world.objection = Objection.objects.create(
            change=_change(world), organisation=world.org, raised_by=world.admin, grounds=f"{MARKER} grounds"
        )
    return world.objection


def _webhook(world):
    from subprocessors.webhooks.models import Webhook

    if not hasattr(world, "webhook"):
        world.webhook = Webhook.objects.create(
            organisation=world.org, url=f"https://hooks.example/{MARKER}", secret=f"whsec_{MARKER}"
        )
    return world.webhook


PUBLIC |= {"changes:api_list"}
SAMPLES.update(
    {
        "objections:new": lambda world: {"public_id": _change(world).public_id},
        "objections:list": _org,
        "objections:detail": lambda world: {
            "public_id": world.org.public_id,
            "objection_id": _objection(world).public_id,
        },
        "webhooks:list": _org,
        "webhooks:remove": lambda world: {
            "public_id": world.org.public_id,
            "webhook_id": _webhook(world).public_id,
        },
        "changes:staff_list": lambda world: {},
        "changes:staff_new": lambda world: {},
        "changes:staff_detail": lambda world: {"public_id": _objection(world).change.public_id},
        "changes:staff_edit": lambda world: {"public_id": _objection(world).change.public_id},
        "changes:staff_delete": lambda world: {"public_id": _objection(world).change.public_id},
        "changes:staff_announce": lambda world: {"public_id": _change(world).public_id},
        "changes:staff_withdraw": lambda world: {"public_id": _change(world).public_id},
        "notices:staff_postpone": lambda world: {"public_id": _change(world).public_id},
        "notices:staff_alternate": lambda world: {"public_id": _change(world).public_id},
        "notices:staff_notice": lambda world: {"public_id": _change(world).public_id},
        "notices:staff_notice_export": lambda world: {"public_id": _change(world).public_id},
        "notices:staff_notice_report": lambda world: {"public_id": _change(world).public_id},
        "objections:staff_detail": lambda world: {"public_id": _objection(world).public_id},
        "changes:api_list": lambda world: {},
        "objections:api_create": lambda world: {"public_id": _change(world).public_id},
    }
)


# --- Staff console ----------------------------------------------------------------------------------------
def _failed_delivery(world):
    from subprocessors.webhooks.models import WebhookDelivery

    if not hasattr(world, "failed_delivery"):
        world.failed_delivery = WebhookDelivery.objects.create(
            webhook=_webhook(world),
            event="subprocessor_change.announced",
            change=_change(world),
            payload={"secret": MARKER},
            status=WebhookDelivery.Status.FAILED,
            last_error=f"HTTP 500 {MARKER}",
        )
    return world.failed_delivery


def _no_kwargs_with(make):
    """A list page: no URL kwargs, but the victim's row exists so a leak would show the marker."""

    def sample(world):
        make(world)
        return {}

    return sample


SAMPLES.update(
    {
        "webhooks:staff_deliveries": _no_kwargs_with(_failed_delivery),
        "webhooks:staff_delivery_retry": lambda world: {"delivery_id": _failed_delivery(world).delivery_id},
    }
)


# staff API: objections and obligations
SAMPLES.update(
    {
        "objections:api_staff_list": _no_kwargs_with(_objection),
        "objections:api_staff_detail": lambda world: {"public_id": _objection(world).public_id},
        "objections:api_staff_reply": lambda world: {"public_id": _objection(world).public_id},
        "objections:api_staff_transition": lambda world: {"public_id": _objection(world).public_id},
        "deadlines:api_staff_list": _no_kwargs_with(_breach),
        "deadlines:api_staff_export_csv": _no_kwargs_with(_breach),
        "deadlines:api_staff_export_ics": _no_kwargs_with(_breach),
        "deadlines:api_staff_detail": _obligation,
        "deadlines:api_staff_complete": _obligation,
    }
)


def _failed_chat_alert(world):
    from portal.delivery.models import ChatAlert

    if not hasattr(world, "failed_chat_alert"):
        world.failed_chat_alert = ChatAlert.objects.create(
            idempotency_key=f"chat:{MARKER}",
            kind=ChatAlert.Kind.ACCESS_REQUEST,
            text=f"New access request\nWho: {MARKER}@victim.example",
            url="http://testserver/staff/access/",
            status=ChatAlert.Status.FAILED,
            last_error=f"HTTP 500 {MARKER}",
        )
    return world.failed_chat_alert


# staff chat alerts (issue 19, part "chat")
SAMPLES.update(
    {
        "delivery:staff_chat_alerts": _no_kwargs_with(_failed_chat_alert),
        "delivery:staff_chat_alert_retry": lambda world: {"pk": _failed_chat_alert(world).pk},
    }
)


# knowledge base
def _faq(world):
    """A published NDA-level entry whose answer is private, and a draft (in a topic of its own) that no public
    page may show: the questions of published entries are public, nothing else is."""
    if not hasattr(world, "faq"):
        from portal.audit.services import Actor
        from portal.knowledge.services import entry_create, topic_create

        actor = Actor(label="samples")
        public_topic = topic_create(name="Encryption", actor=actor)
        draft_topic = topic_create(name=f"Draft topic {MARKER}", slug="draft-topic", actor=actor)
        nda = entry_create(
            topic=public_topic,
            question="How are keys rotated?",
            answer=f"Yearly, by {MARKER}.",
            visibility="nda",
            status="published",
            actor=actor,
        )
        draft = entry_create(
            topic=draft_topic, question=f"Draft {MARKER}?", answer=f"Draft answer {MARKER}.", actor=actor
        )
        world.faq = (nda, draft)
    return world.faq


def _faq_draft(world):
    return {"public_id": _faq(world)[1].public_id}


PUBLIC |= {"knowledge:list", "knowledge:export_csv", "knowledge:api_list"}
SAMPLES.update(
    {
        "knowledge:list": _no_kwargs_with(_faq),
        "knowledge:export_csv": _no_kwargs_with(_faq),
        "knowledge:api_list": _no_kwargs_with(_faq),
        "knowledge:staff_list": _no_kwargs_with(_faq),
        "knowledge:staff_create": _no_kwargs_with(_faq),
        "knowledge:staff_topics": _no_kwargs_with(_faq),
        "knowledge:staff_edit": _faq_draft,
        "knowledge:staff_history": _faq_draft,
        "knowledge:api_staff_entries": _no_kwargs_with(_faq),
        "knowledge:api_staff_entry": _faq_draft,
        "knowledge:api_staff_entry_history": _faq_draft,
        "knowledge:api_staff_topics": _no_kwargs_with(_faq),
    }
)


# staff API: audit log, outbox, webhook deliveries (opsapi)
def _audit_event(world):
    from portal.audit.services import audit_record

    if not hasattr(world, "audit_event"):
        world.audit_event = audit_record(
            action="organisation.updated", organisation=world.org, target=world.org, details={"name": MARKER}
        )
    return world.audit_event


# staff API: trust (access requests, auto-approval rules, NDA versions, trust documents) and organisations
def _auto_rule(world):
    from portal.trust.models import AutoApprovalRule

    rule = AutoApprovalRule.objects.first() or AutoApprovalRule.objects.create(
        organisation=world.org, domain=f"{MARKER}.example", level="nda"
    )
    return {"domain": rule.domain}


SAMPLES.update(
    {
        "staff:api_staff_audit_events": _no_kwargs_with(_audit_event),
        "staff:api_staff_audit_event": lambda world: {"pk": _audit_event(world).pk},
        "staff:api_staff_audit_export": _no_kwargs_with(_audit_event),
        "delivery:api_staff_outbox": lambda world: {},
        "delivery:api_staff_outbox_email": lambda world: {"pk": world.outbound_email.pk},
        "delivery:api_staff_outbox_retry": lambda world: {"pk": world.outbound_email.pk},
        "webhooks:api_staff_deliveries": _no_kwargs_with(_failed_delivery),
        "webhooks:api_staff_delivery": lambda world: {"delivery_id": _failed_delivery(world).delivery_id},
        "webhooks:api_staff_delivery_retry": lambda world: {"delivery_id": _failed_delivery(world).delivery_id},
    }
)


# staff API: sub-processors and sub-processor changes
SAMPLES.update(
    {
        "listing:api_staff_list": _no_kwargs_with(_proposed_subprocessor),
        "listing:api_staff_detail": _proposed_subprocessor,
        "listing:api_staff_retire": _proposed_subprocessor,
        "changes:api_staff_list": _no_kwargs_with(_objection),
        "changes:api_staff_detail": lambda world: {"public_id": _change(world).public_id},
        "changes:api_staff_announce": lambda world: {"public_id": _change(world).public_id},
        "changes:api_staff_withdraw": lambda world: {"public_id": _change(world).public_id},
        "notices:api_staff_postpone": lambda world: {"public_id": _change(world).public_id},
        "notices:api_staff_notice": lambda world: {"public_id": _change(world).public_id},
        "notices:api_staff_notice_csv": lambda world: {"public_id": _change(world).public_id},
    }
)


# staff API: breaches (plus the customer's acknowledgement, refused to outsiders: 401/403 or 404)
SAMPLES.update(
    {
        "breaches:api_staff_list": lambda world: {},
        "breaches:api_staff_detail": _incident,
        "breaches:api_staff_send": _incident,
        "breaches:api_staff_followup": _incident,
        "breaches:api_staff_resend": _incident_notification,
        "breaches:api_staff_add_organisations": _incident,
        "breaches:api_staff_report": _incident,
        "breaches:api_acknowledge": lambda world: {"notification_id": _breach(world)[1].public_id},
    }
)


# staff API: trust (access requests, auto-approval rules, NDA versions, trust documents) and organisations
SAMPLES.update(
    {
        "trust:api_staff_access_requests": _no_kwargs_with(_access_request),
        "trust:api_staff_access_request": _access_request,
        "trust:api_staff_access_request_approve": _access_request,
        "trust:api_staff_access_request_deny": _access_request,
        "trust:api_staff_access_request_revoke": _access_request,
        "trust:api_staff_auto_rules": _no_kwargs_with(_auto_rule),
        "trust:api_staff_auto_rule": _auto_rule,
        "trust:api_staff_nda_versions": lambda world: {},
        "trust:api_staff_documents": _no_kwargs_with(_nda_document),
        "trust:api_staff_document": _nda_document,
        "trust:api_staff_document_replace": _nda_document,
        "trust:api_staff_document_retire": _nda_document,
        "organisations:api_staff_organisations": lambda world: {},
        "organisations:api_staff_organisation": _org,
    }
)


def _calendar_override(world):
    from portal.deadlines.models import CalendarOverride

    if not hasattr(world, "calendar_override"):
        world.calendar_override = CalendarOverride.objects.create(
            recurrence="yearly", month=12, day=31, kind="closed", note=MARKER
        )
    return {"pk": world.calendar_override.pk}


# staff API: calendar overrides, API tokens, chat alerts, bulk approval, prepared-file retry, audit checkpoint
SAMPLES.update(
    {
        "deadlines:api_staff_calendar_overrides": _no_kwargs_with(_calendar_override),
        "deadlines:api_staff_calendar_override": _calendar_override,
        "organisations:api_staff_tokens": _no_kwargs_with(_api_token),
        "organisations:api_staff_token": _api_token,
        "organisations:api_staff_token_revoke": _api_token,
        "delivery:api_staff_chat_alerts": _no_kwargs_with(_failed_chat_alert),
        "delivery:api_staff_chat_alert": lambda world: {"pk": _failed_chat_alert(world).pk},
        "delivery:api_staff_chat_alert_retry": lambda world: {"pk": _failed_chat_alert(world).pk},
        "trust:api_staff_access_requests_bulk_approve": _no_kwargs_with(_access_request),
        "evidence:api_staff_prepared_retry": _prepared_file,
        "staff:api_staff_audit_checkpoint": lambda world: {},
    }
)


# staff API: signed DPAs
SAMPLES.update(
    {
        "signing:api_staff_executions": lambda world: {},
        "signing:api_staff_execution": lambda world: {"public_id": _dpa_execution(world).public_id},
        "signing:api_staff_execution_document": lambda world: {"public_id": _dpa_execution(world).public_id},
        "signing:api_staff_execution_countersign": lambda world: {"public_id": _dpa_execution(world).public_id},
        "signing:api_staff_execution_decline": lambda world: {"public_id": _dpa_execution(world).public_id},
        "signing:api_staff_execution_retry_agreement": lambda world: {"public_id": _dpa_execution(world).public_id},
        "signing:api_staff_register_csv": lambda world: {},
        "signing:api_staff_register_pdf": lambda world: {},
    }
)
