import pytest

from portal.audit.models import AuditEvent
from portal.core.errors import ApplicationError
from portal.delivery.models import OutboundEmail
from portal.trust import services as svc
from portal.trust.models import AccessRequest, AutoApprovalRule
from tests.organisations.factories import OrganisationFactory, UserFactory
from tests.trust.factories import AutoApprovalRuleFactory


@pytest.fixture
def acme(db):
    return OrganisationFactory(name="Acme", tier="enterprise", email_domain="acme-health.example")


@pytest.fixture
def rule(acme):
    return AutoApprovalRuleFactory(organisation=acme, domain="acme-health.example", level="nda")


def test_enterprise_domain_is_approved_at_once(rule, submit, legal):
    req = submit(UserFactory(email="dpo@acme-health.example"))
    req.refresh_from_db()
    assert (req.status, req.level, req.auto_rule, req.decided_by) == ("approved", "nda", rule, None)
    assert req.expires_at is not None
    assert OutboundEmail.objects.filter(template="access_approved").count() == 1
    # Auto-approvals are not announced one by one; they go in the digest.
    assert not OutboundEmail.objects.filter(template="access_staff_new").exists()
    assert AuditEvent.objects.filter(action="access.auto_approved").count() == 1


@pytest.mark.parametrize(
    "email",
    [
        "eve@acme-health.example.evil.io",
        "eve@evil-acme-health.example",
        "eve@sub.acme-health.example",
        "eve@acme-health.example.",
        "eve@acme-health.examp1e",
        '"dpo@acme-health.example"@evil.io',
    ],
)
def test_look_alike_domains_go_to_the_queue(rule, submit, email):
    req = submit(UserFactory(email=email))
    assert req.status == AccessRequest.Status.PENDING
    assert req.auto_rule is None


def test_upper_case_address_matches(rule, submit):
    assert submit(UserFactory(email="DPO@ACME-HEALTH.EXAMPLE")).status == "approved"


def test_free_mail_never_auto_approves_even_with_a_rule(submit, db):
    org = OrganisationFactory(tier="enterprise", email_domain="gmail.com")
    AutoApprovalRule.objects.create(organisation=org, domain="gmail.com", level="approved")
    assert submit(UserFactory(email="someone@gmail.com")).status == "pending"


def test_rule_of_an_org_no_longer_enterprise_is_ignored(rule, acme, submit):
    acme.tier = "self_serve"
    acme.save()
    assert submit(UserFactory(email="dpo@acme-health.example")).status == "pending"


def test_inactive_rule_is_ignored(rule, submit, legal):
    svc.auto_rule_set_active(rule=rule, active=False, actor=legal)
    assert submit(UserFactory(email="dpo@acme-health.example")).status == "pending"


def test_rule_creation_checks(legal, acme):
    self_serve = OrganisationFactory(tier="self_serve", email_domain="tiny.example")
    no_domain = OrganisationFactory(tier="enterprise", email_domain="")
    freemail = OrganisationFactory(tier="enterprise", email_domain="Outlook.com")
    for org, message in (
        (self_serve, svc.RULE_NOT_ENTERPRISE),
        (no_domain, svc.RULE_NO_DOMAIN),
        (freemail, svc.RULE_FREEMAIL.format(domain="outlook.com")),
    ):
        with pytest.raises(ApplicationError) as exc:
            svc.auto_rule_create(organisation=org, level="approved", actor=legal)
        assert exc.value.message == message
    assert not AutoApprovalRule.objects.exists()
    rule = svc.auto_rule_create(organisation=acme, level="approved", actor=legal)
    assert rule.domain == "acme-health.example"
    with pytest.raises(ApplicationError, match="already a rule"):
        svc.auto_rule_create(organisation=acme, level="nda", actor=legal)
    assert AuditEvent.objects.filter(action="access.rule_created").count() == 1


def test_digest_lists_auto_approvals_once(rule, submit, legal):
    submit(UserFactory(email="a@acme-health.example"))
    submit(UserFactory(email="b@acme-health.example"))
    assert svc.access_digest_send() == 2
    digest = OutboundEmail.objects.get(template="access_digest")
    assert digest.to_email == legal.email
    assert "a@acme-health.example" in digest.body_text
    assert "b@acme-health.example" in digest.body_text
    assert svc.access_digest_send() == 0
    assert OutboundEmail.objects.filter(template="access_digest").count() == 1
