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
    "invitation_detail",
    # DPA versions: the version list and summaries are public; verification answers anyone.
    "dpa_versions",
    "dpa_version_detail",
    "dpa_verify",
    "api_dpa_versions",
    "api_dpa_version",
    "api_dpa_verify",
    # subprocessors: the public list and its exports, and the signed subscription links
    "subprocessors_list",
    "subprocessors_history",
    "subprocessors_subscribe",
    "subprocessors_subscribe_sent",
    "subprocessors_subscribe_confirm",
    "subprocessors_unsubscribe",
    "api_subprocessor_list",
    "api_subprocessor_detail",
    "subprocessors_feed",
    "subprocessors_csv",
    "subprocessors_pdf",
    # trust-portal access: the document list and what anyone may open
    "trust_home",
    "api_documents",
    "api_nda",
}

# Prefixes not walked here, with the reason: the admin needs is_staff + MFA (middleware, tested in
# tests/portal/test_staff.py); allauth's views are tested in tests/portal/test_accounts.py; the schema and
# API docs are public by design.
SKIP_PREFIXES = ("admin/", "accounts/", "api/schema/", "api/docs/")
# API operations only legal staff may call (every /staff/ and /admin/ URL is staff-only too).
STAFF_API = {"api_dpa_version_publish", "api_access_request_approve", "api_access_request_deny"}


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
    from tests.dpa.factories import AccessRequestFactory

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
        from tests.dpa.factories_signing import published_version

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

    if not hasattr(world, "api_token"):
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
    "organisation_list": lambda world: {},
    "organisation_new": lambda world: {},
    "organisation_detail": _org,
    "organisation_contacts": _org,
    "organisation_invite": _org,
    "organisation_member": _membership,
    "invitation_detail": _capability("token"),
    "staff_home": lambda world: {},
    "staff_audit": lambda world: {},
    "staff_audit_export": lambda world: {},
    "staff_audit_checkpoint": lambda world: {},
    "staff_outbox": lambda world: {},
    "staff_outbox_retry": lambda world: {"pk": world.outbound_email.pk},
    "staff_organisations": lambda world: {},
    "staff_organisation_edit": _org,
    "staff_calendar": lambda world: {},
    "dpa_versions": lambda world: {},
    "dpa_version_detail": _dpa_version,
    "dpa_version_pdf": _dpa_version,
    "dpa_diff": lambda world: {},
    "dpa_verify": lambda world: {},
    "dpa_sign": lambda world: {"token": "made-up-token"},
    "dpa_sign_pdf": lambda world: {"token": "made-up-token"},
    "dpa_execution_request": _org,
    "dpa_executed_pdf": lambda world: {
        "public_id": world.org.public_id,
        "execution_id": _dpa_execution(world).public_id,
    },
    "dpa_execution_withdraw": lambda world: {
        "public_id": world.org.public_id,
        "execution_id": _dpa_execution(world).public_id,
    },
    "staff_dpa_versions": lambda world: {},
    "staff_dpa_version_new": lambda world: {},
    "staff_dpa_version": _dpa_version,
    "staff_dpa_version_publish": _dpa_version,
    "staff_dpa_version_preview": _dpa_version,
    "staff_dpa_executions": lambda world: {},
    "staff_dpa_execution": lambda world: {"public_id": _dpa_execution(world).public_id},
    "staff_dpa_execution_pdf": lambda world: {"public_id": _dpa_execution(world).public_id},
    "staff_dpa_register_pdf": lambda world: {},
    "staff_issued_report": lambda world: {"public_id": uuid.uuid4()},
    "staff_dpa_register_csv": lambda world: {},
    "api_dpa_versions": lambda world: {},
    "api_dpa_version": _dpa_version,
    "api_dpa_version_publish": _dpa_version,
    "api_dpa_executions": lambda world: {},
    "api_dpa_verify": lambda world: {},
    # subprocessors
    "subprocessors_list": lambda world: {},
    "subprocessors_history": lambda world: {},
    "subprocessors_subscribe": lambda world: {},
    "subprocessors_subscribe_sent": lambda world: {},
    "subprocessors_subscribe_confirm": _capability("token"),
    "subprocessors_unsubscribe": _capability("token"),
    "subprocessors_feed": lambda world: {},
    "subprocessors_csv": lambda world: {},
    "subprocessors_pdf": lambda world: {},
    "api_subprocessor_list": lambda world: {},
    "api_subprocessor_detail": lambda world: {"slug": "no-such-provider"},
    "staff_subprocessors": lambda world: {},
    "staff_subprocessor_new": lambda world: {},
    "staff_subprocessor_edit": _proposed_subprocessor,
    # trust-portal access
    "trust_home": lambda world: {},
    "access_request": lambda world: {},
    "access_status": lambda world: {},
    "trust_document_file": _nda_document,
    "api_token": lambda world: {},
    "api_token_revoke": _api_token,
    "staff_tokens": lambda world: {},
    "staff_token_revoke": _api_token,
    "staff_access_queue": lambda world: {},
    "staff_access_bulk_approve": lambda world: {},
    "staff_access_rules": lambda world: {},
    "staff_nda_versions": lambda world: {},
    "staff_access_detail": _access_request,
    "staff_documents": lambda world: {},
    "staff_document_detail": _nda_document,
    "api_access_requests": lambda world: {},
    "api_access_request_approve": _access_request,
    "api_access_request_deny": _access_request,
    "api_nda": lambda world: {},
    "api_documents": lambda world: {},
    # dpa: breaches and obligations (staff only, except the customer's own notification and the signed ack link)
    "dpa_staff_breaches": lambda world: {},
    "dpa_staff_breach_new": lambda world: {},
    "dpa_staff_breach_detail": _incident,
    "dpa_staff_breach_edit": _incident,
    "dpa_staff_breach_send": _incident,
    "dpa_staff_breach_followup": _incident,
    "dpa_staff_breach_resend": _incident_notification,
    "dpa_staff_breach_add_orgs": _incident,
    "dpa_staff_breach_report": _incident,
    "dpa_staff_obligations": lambda world: {},
    "dpa_staff_obligation_new": lambda world: {},
    "dpa_staff_obligations_csv": lambda world: {},
    "dpa_staff_obligations_ics": lambda world: {},
    "dpa_staff_obligation_detail": _obligation,
    "dpa_staff_obligation_evidence": _obligation,
    "dpa_org_breach_detail": _org_notification,
    "dpa_breach_ack": _capability("token"),
    "dpa_obligations_feed": _capability("token"),
}


# --- Sub-processor changes, objections and webhooks -------------------------------------------------------
def _change(world):
    from tests.subprocessors.change_factories import make_change

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
    from subprocessors.changes.models import Webhook

    if not hasattr(world, "webhook"):
        world.webhook = Webhook.objects.create(
            organisation=world.org, url=f"https://hooks.example/{MARKER}", secret=f"whsec_{MARKER}"
        )
    return world.webhook


PUBLIC |= {"api_change_list"}
SAMPLES.update(
    {
        "change_object": lambda world: {"public_id": _change(world).public_id},
        "objection_list": _org,
        "objection_detail": lambda world: {
            "public_id": world.org.public_id,
            "objection_id": _objection(world).public_id,
        },
        "webhook_list": _org,
        "webhook_remove": lambda world: {"public_id": world.org.public_id, "webhook_id": _webhook(world).public_id},
        "staff_change_list": lambda world: {},
        "staff_change_new": lambda world: {},
        "staff_change_detail": lambda world: {"public_id": _objection(world).change.public_id},
        "staff_change_edit": lambda world: {"public_id": _objection(world).change.public_id},
        "staff_change_delete": lambda world: {"public_id": _objection(world).change.public_id},
        "staff_change_announce": lambda world: {"public_id": _change(world).public_id},
        "staff_change_withdraw": lambda world: {"public_id": _change(world).public_id},
        "staff_change_postpone": lambda world: {"public_id": _change(world).public_id},
        "staff_change_alternate": lambda world: {"public_id": _change(world).public_id},
        "staff_change_notice": lambda world: {"public_id": _change(world).public_id},
        "staff_change_notice_export": lambda world: {"public_id": _change(world).public_id},
        "staff_change_notice_report": lambda world: {"public_id": _change(world).public_id},
        "staff_objection_detail": lambda world: {"public_id": _objection(world).public_id},
        "api_change_list": lambda world: {},
        "api_change_objections": lambda world: {"public_id": _change(world).public_id},
    }
)


# --- Staff console ----------------------------------------------------------------------------------------
def _failed_delivery(world):
    from subprocessors.changes.models import WebhookDelivery

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
        "staff_webhook_deliveries": _no_kwargs_with(_failed_delivery),
        "staff_webhook_delivery_retry": lambda world: {"delivery_id": _failed_delivery(world).delivery_id},
    }
)
