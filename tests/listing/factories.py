import factory

from subprocessors.listing.models import Subprocessor, Subscriber


class SubprocessorFactory(factory.django.DjangoModelFactory):
    """A row saved directly (no revision); use `make_subprocessor` for one with history."""

    class Meta:
        model = Subprocessor

    name = factory.Sequence(lambda n: f"Provider {n}")
    slug = factory.Sequence(lambda n: f"provider-{n}")
    legal_entity = factory.LazyAttribute(lambda o: f"{o.name} B.V.")
    category = Subprocessor.Category.AI_PROVIDER
    purpose = "AI model processing"
    processes_customer_data = True
    customer_data_note = "Only for selected models"
    location = "EU/EEA configurations only"
    hq_country = "NL"
    processing_region = "NL"
    eea_only = True
    website = factory.LazyAttribute(lambda o: f"https://{o.slug}.example")
    status = Subprocessor.Status.ACTIVE
    engaged_since = factory.Faker("date_between", start_date="-3y", end_date="-1y")


class SubscriberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Subscriber

    email = factory.Sequence(lambda n: f"reader{n}@news.example")


def sp_data(**overrides) -> dict:
    data = {
        "name": "Mistral AI",
        "slug": "mistral-ai",
        "legal_entity": "Mistral AI SAS",
        "category": Subprocessor.Category.AI_PROVIDER,
        "purpose": "AI model processing",
        "processes_customer_data": True,
        "customer_data_note": "Only for selected models",
        "location": "EU/EEA configurations only",
        "hq_country": "FR",
        "processing_region": "FR",
        "eea_only": True,
        "retains_prompts": False,
        "trains_on_data": False,
        "website": "https://mistral.ai",
        "status": Subprocessor.Status.ACTIVE,
    }
    data.update(overrides)
    return data


def make_subprocessor(*, at=None, **overrides) -> Subprocessor:
    """A row created through the service (with its first revision), authorised as the initial list."""
    from subprocessors.listing.services import subprocessor_create

    return subprocessor_create(data=sp_data(**overrides), actor=None, at=at, authorised_by="test data")
