import pytest
from django.urls import reverse

from portal.knowledge.demo import ENTRIES, TOPICS, load_faq_demo
from portal.knowledge.models import Entry, EntryRevision, Topic
from portal.organisations import demo as organisations_demo

pytestmark = pytest.mark.django_db


def test_demo_faq_loads_once_with_public_nda_and_draft_entries(client):
    # given
    organisations_demo.load()
    # when
    load_faq_demo()
    load_faq_demo()
    # then
    assert Topic.objects.count() == len(TOPICS)
    assert Entry.objects.count() == EntryRevision.objects.count() == len(ENTRIES)
    assert set(Entry.objects.values_list("visibility", "status").distinct()) == {
        ("public", "published"),
        ("nda", "published"),
        ("public", "draft"),
    }
    body = client.get(reverse("knowledge:list")).content.decode()
    assert "Where is customer data stored and processed?" in body
    assert "bug bounty" not in body
