import factory

from portal.knowledge.models import Entry, Topic


class TopicFactory(factory.django.DjangoModelFactory):
    """A topic written straight to the database (no audit event): for arranging tests, not testing writes."""

    class Meta:
        model = Topic
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Topic {n}")
    slug = factory.Sequence(lambda n: f"topic-{n}")
    order = factory.Sequence(lambda n: n * 10)


class EntryFactory(factory.django.DjangoModelFactory):
    """A published public entry without revisions; tests of the history use the services."""

    class Meta:
        model = Entry

    topic = factory.SubFactory(TopicFactory)
    question = factory.Sequence(lambda n: f"Question {n}?")
    answer = factory.Sequence(lambda n: f"Answer {n}.")
    visibility = Entry.Visibility.PUBLIC
    status = Entry.Status.PUBLISHED
    order = factory.Sequence(lambda n: n)
