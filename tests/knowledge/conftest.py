import pytest

from tests.auth import login
from tests.knowledge.factories import EntryFactory, TopicFactory
from tests.organisations.factories import UserFactory
from tests.trust.factories import AccessRequestFactory, grant


@pytest.fixture
def faq(db):
    """Two topics: a public and an NDA-level published entry on encryption, a public one on incident response, and a
    draft that no public surface may show."""
    encryption = TopicFactory(name="Encryption", slug="encryption", order=10)
    incidents = TopicFactory(name="Incident response", slug="incident-response", order=20)
    return {
        "public": EntryFactory(
            topic=encryption, question="Is data encrypted at rest?", answer="Yes, with AES-256.", order=1
        ),
        "nda": EntryFactory(
            topic=encryption,
            question="How are keys rotated?",
            answer="Every twelve months by the key custodians.",
            visibility="nda",
            order=2,
        ),
        "incident": EntryFactory(
            topic=incidents, question="How fast do you notify a breach?", answer="Within 48 hours.", order=1
        ),
        "draft": EntryFactory(
            topic=incidents, question="Do you run a bug bounty?", answer="Draft answer, not final.", status="draft"
        ),
    }


@pytest.fixture
def as_viewer(client, legal, legal_no_mfa, member, nda):
    """Sign `client` in as one of the visitor kinds of the visibility matrix; returns the user (None: anonymous)."""

    def sign_in(kind):
        user = None
        if kind == "customer without access":
            user = member
        elif kind == "pending":
            user = UserFactory()
            AccessRequestFactory(user=user, nda_version=nda)
        elif kind == "approved":
            user = UserFactory()
            grant(user, "approved")
        elif kind == "nda":
            user = UserFactory()
            grant(user, "nda")
        elif kind == "legal":
            user = legal
        elif kind == "legal without mfa":
            user = legal_no_mfa
        if user is not None:
            login(client, user)
        return user

    return sign_in
