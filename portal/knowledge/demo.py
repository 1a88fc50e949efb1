"""Demo security FAQ (idempotent): a few topics and answers about the demo processor, an AI-model routing API
hosted with Scaleway in Amsterdam; some public, some for visitors with NDA-level access, one draft."""

from django.contrib.auth import get_user_model

from portal.knowledge.models import Entry, Topic
from portal.knowledge.services import entry_create, topic_create
from portal.organisations.demo import LEGAL_EMAIL

TOPICS = [
    ("Encryption", "encryption", 10),
    ("Access control", "access-control", 20),
    ("Incident response", "incident-response", 30),
    ("Data location", "data-location", 40),
    ("Sub-processors", "sub-processors", 50),
    ("Penetration tests", "penetration-tests", 60),
]

# topic slug, visibility, status, question, answer
ENTRIES = [
    (
        "encryption",
        "public",
        "published",
        "Is customer data encrypted in transit?",
        "Yes. Every API endpoint accepts TLS 1.2 or 1.3 only; plain HTTP is redirected and HSTS is set.\n\n"
        "Traffic between our services inside the hosting network is encrypted as well.",
    ),
    (
        "encryption",
        "public",
        "published",
        "Is customer data encrypted at rest?",
        "Yes. Databases, object storage and backups are encrypted with AES-256 by our hosting provider. "
        "Secrets such as API keys of model providers are additionally encrypted by the application.",
    ),
    (
        "encryption",
        "nda",
        "published",
        "How are encryption keys managed and rotated?",
        "Storage keys are held in Scaleway Key Manager in the Amsterdam region; only two named engineers may "
        "administer them, with hardware-key sign-in.\n\n"
        "Application keys are rotated every twelve months and at once when someone with access leaves.",
    ),
    (
        "access-control",
        "public",
        "published",
        "Who at our company can access customer data?",
        "Only the on-call engineers, and only to resolve an incident or a support request the customer opened. "
        "Access needs single sign-on with a hardware security key and is logged.",
    ),
    (
        "access-control",
        "nda",
        "published",
        "How often are access rights reviewed?",
        "Every quarter the engineering lead and the security officer review every account with production "
        "access; rights nobody used in 90 days are removed. The last three reviews are available on request.",
    ),
    (
        "incident-response",
        "public",
        "published",
        "How quickly will you tell us about a personal-data breach?",
        "Without undue delay and no later than 48 hours after we become aware of it, as our DPA requires. "
        "The notice goes to your organisation's breach contact and says what is known and what is still pending.",
    ),
    (
        "incident-response",
        "nda",
        "published",
        "Do you test your incident response plan?",
        "Yes. We run a table-top exercise twice a year with engineering, support and legal, and write down what "
        "we change afterwards. The latest exercise report is available to customers on request.",
    ),
    (
        "data-location",
        "public",
        "published",
        "Where is customer data stored and processed?",
        "In the European Economic Area: compute and storage run in Scaleway's Amsterdam region (nl-ams), "
        "monitoring in Paris (fr-par). API requests you route to a model provider outside the EEA are "
        "transferred under Standard Contractual Clauses, as listed on the sub-processor page.",
    ),
    (
        "sub-processors",
        "public",
        "published",
        "How do you announce new sub-processors?",
        "On the sub-processor page, by email to every customer's privacy contact and to subscribers, at least "
        "10 business days before a new sub-processor starts. Enterprise customers may object in that period.",
    ),
    (
        "penetration-tests",
        "nda",
        "published",
        "When was your last penetration test and what did it find?",
        "An independent firm tested the API and this portal in March 2026. It found no critical or high "
        "findings; the two medium findings were fixed within 30 days and re-tested. The summary report is in "
        "the trust documents.",
    ),
    (
        "penetration-tests",
        "public",
        "draft",
        "Do you run a bug bounty programme?",
        "Not yet. We accept vulnerability reports by email to our security team and answer within two business days.",
    ),
]


def load_faq_demo() -> None:
    if Entry.objects.exists():
        return
    legal = get_user_model().objects.get(email=LEGAL_EMAIL)
    topics = {}
    for name, slug, order in TOPICS:
        topics[slug] = Topic.objects.filter(slug=slug).first() or topic_create(
            name=name, slug=slug, order=order, actor=legal
        )
    for position, (slug, visibility, status, question, answer) in enumerate(ENTRIES):
        entry_create(
            topic=topics[slug],
            question=question,
            answer=answer,
            visibility=visibility,
            status=status,
            order=position * 10,
            actor=legal,
        )
