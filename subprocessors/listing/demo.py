"""Demo data: the reference processor's published provider and sub-processor list (facts only; our wording).

Loaded as the list stood on its "Last updated" date, 4 May 2026, so the History page and the list as of any
later day have something to show. Idempotent: rows whose slug exists are left alone."""

import datetime as dt

from portal.deadlines.calendar import portal_tz
from subprocessors.listing.models import Subprocessor
from subprocessors.listing.services import subprocessor_create

LIST_DATE = dt.date(2026, 5, 4)

CUSTOMER = Subprocessor.Category.CUSTOMER_DATA
AI = Subprocessor.Category.AI_PROVIDER
CONTROLLER = Subprocessor.Category.CONTROLLER_DATA

NO_CONTENT = "No customer data intended."

# name, slug, legal entity, HQ, processing region, purpose, processes customer data, note, location, EEA only, site
CUSTOMER_ROWS = [
    (
        "Scaleway",
        "scaleway",
        "Scaleway SAS",
        "FR",
        "NL",
        "Hosting and core infrastructure: compute, databases, networking, logs and monitoring",
        True,
        "May process API traffic and API metadata transiently.",
        "EU/EEA: compute and storage in nl-ams (Amsterdam); telemetry in fr-par (Paris).",
        True,
        "https://www.scaleway.com",
    ),
    (
        "Sentry (EU-hosted)",
        "sentry-eu",
        "Functional Software, Inc.",
        "US",
        "EU",
        "Error tracking and diagnostics",
        False,
        "No substantive API content intended; error events may carry diagnostic metadata.",
        "EU-hosted or EU-limited configuration.",
        True,
        "https://sentry.io",
    ),
    (
        "PostHog Cloud EU",
        "posthog-eu-diagnostics",
        "PostHog Inc.",
        "US",
        "EU",
        "Error tracking and diagnostics",
        False,
        "No substantive API content intended; error events may carry diagnostic metadata.",
        "EU-hosted (eu.posthog.com, eu.i.posthog.com).",
        True,
        "https://posthog.com",
    ),
    (
        "Scaleway Cockpit",
        "scaleway-cockpit",
        "Scaleway SAS",
        "FR",
        "FR",
        "Monitoring, observability and reliability",
        False,
        "No substantive API content intended; may process operational metadata.",
        "EU/EEA: Scaleway Cockpit in fr-par (Paris), fed through OpenTelemetry.",
        True,
        "https://www.scaleway.com/en/cockpit/",
    ),
]

# name, slug, legal entity, HQ country, website
AI_ROWS = [
    ("AWS Bedrock", "aws-bedrock", "Amazon Web Services EMEA SARL", "US", "https://aws.amazon.com/bedrock/"),
    ("GreenPT", "greenpt", "", "NL", ""),
    ("Inceptron", "inceptron", "", "SE", ""),
    ("Infercom", "infercom", "", "LU", ""),
    ("IONOS Cloud", "ionos-cloud", "IONOS SE", "DE", "https://cloud.ionos.com"),
    ("Microsoft Foundry", "microsoft-foundry", "", "US", "https://azure.microsoft.com"),
    ("Mistral AI", "mistral-ai", "Mistral AI SAS", "FR", "https://mistral.ai"),
    ("Nebius", "nebius", "Nebius B.V.", "NL", "https://nebius.com"),
    ("OVHcloud", "ovhcloud", "OVH SAS", "FR", "https://www.ovhcloud.com"),
    ("Scaleway", "scaleway-ai", "Scaleway SAS", "FR", "https://www.scaleway.com"),
    ("Tensorix", "tensorix", "", "IE", ""),
]

# name, slug, legal entity, HQ, processing region, purpose, data, EEA only, website
CONTROLLER_ROWS = [
    (
        "Mollie",
        "mollie",
        "Mollie B.V.",
        "NL",
        "NL",
        "Payment processing",
        "Billing and payment data.",
        False,
        "https://www.mollie.com",
    ),
    (
        "PostHog Cloud EU",
        "posthog-eu-analytics",
        "PostHog Inc.",
        "US",
        "EU",
        "Website and product analytics",
        "Website and product events.",
        True,
        "https://posthog.com",
    ),
    (
        "Cookiebot (Usercentrics)",
        "cookiebot",
        "Usercentrics GmbH",
        "DE",
        "DE",
        "Cookie consent management",
        "Consent choices and consent records.",
        False,
        "https://www.cookiebot.com",
    ),
    (
        "Brevo",
        "brevo",
        "",
        "FR",
        "FR",
        "Transactional and marketing email",
        "Email addresses and email engagement data.",
        False,
        "https://www.brevo.com",
    ),
    (
        "Google Workspace",
        "google-workspace",
        "",
        "US",
        "US",
        "Support, privacy and business email",
        "Support and business correspondence. Please keep customer data out of ordinary support emails.",
        False,
        "https://workspace.google.com",
    ),
    ("Google OAuth", "google-oauth", "", "US", "US", "Sign-in with Google", "Login identifiers.", False, ""),
    (
        "GitHub OAuth",
        "github-oauth",
        "GitHub, Inc.",
        "US",
        "US",
        "Sign-in with GitHub",
        "Login identifiers.",
        False,
        "",
    ),
    ("Phare.io", "phare", "", "FR", "FR", "Status page", "Status-page data.", False, "https://phare.io"),
]


def demo_rows() -> list[dict]:
    rows = []
    for i, (name, slug, entity, hq, region, purpose, processes, note, location, eea, site) in enumerate(CUSTOMER_ROWS):
        rows.append(
            {
                "name": name,
                "slug": slug,
                "legal_entity": entity,
                "category": CUSTOMER,
                "purpose": purpose,
                "processes_customer_data": processes,
                "customer_data_note": note,
                "location": location,
                "hq_country": hq,
                "processing_region": region,
                "eea_only": eea,
                "website": site,
                "position": (i + 1) * 10,
            }
        )
    for i, (name, slug, entity, hq, site) in enumerate(AI_ROWS):
        rows.append(
            {
                "name": name,
                "slug": slug,
                "legal_entity": entity,
                "category": AI,
                "purpose": "AI model processing",
                "processes_customer_data": True,
                "customer_data_note": "Only for the models and routes a customer selects.",
                "location": "EU/EEA configurations only",
                "hq_country": hq,
                "processing_region": "EU",
                "eea_only": True,
                "website": site,
                "position": (i + 1) * 10,
            }
        )
    for i, (name, slug, entity, hq, region, purpose, data, eea, site) in enumerate(CONTROLLER_ROWS):
        rows.append(
            {
                "name": name,
                "slug": slug,
                "legal_entity": entity,
                "category": CONTROLLER,
                "purpose": purpose,
                "processes_customer_data": False,
                "customer_data_note": f"{data} {NO_CONTENT}" if "customer data" not in data else data,
                "location": "",
                "hq_country": hq,
                "processing_region": region,
                "eea_only": eea,
                "website": site,
                "position": (i + 1) * 10,
            }
        )
    return rows


def load_demo() -> None:
    at = dt.datetime.combine(LIST_DATE, dt.time(9, 0), tzinfo=portal_tz())
    existing = set(Subprocessor.objects.values_list("slug", flat=True))
    for data in demo_rows():
        if data["slug"] in existing:
            continue
        subprocessor_create(
            data={**data, "status": Subprocessor.Status.ACTIVE},
            actor=None,
            at=at,
            authorised_by="Initial list (demo data)",
        )
