import pytest
from django.db.models import F
from django.template import Context, Template, TemplateSyntaxError
from django.test import RequestFactory

from portal.core.tables import Table, valid_filters
from portal.delivery.models import OutboundEmail
from portal.organisations.models import Organisation
from portal.staff.forms import AuditFilterForm
from tests.organisations.factories import OrganisationFactory

pytestmark = pytest.mark.django_db

COLUMNS = {"name": ("name",), "tier": ("tier", "-name")}


def _table(query: str = "", **kwargs) -> Table:
    request = RequestFactory().get(f"/staff/x/?{query}")
    return Table.build(
        request, Organisation.objects.all(), columns=COLUMNS, default="name", noun=("row", "rows"), **kwargs
    )


def _names(table: Table) -> list[str]:
    return [o.name for o in table.page]


def test_sort_keys_toggle_and_reverse_every_term():
    # given two organisations per tier
    for name, tier in [("A", "enterprise"), ("B", "self_serve"), ("C", "enterprise"), ("D", "self_serve")]:
        OrganisationFactory(name=name, tier=tier)
    # then a column sorts ascending, "-" sorts descending, and secondary terms reverse with it
    assert _names(_table()) == ["A", "B", "C", "D"]
    assert _names(_table("sort=-name")) == ["D", "C", "B", "A"]
    assert _names(_table("sort=tier")) == ["C", "A", "D", "B"]
    assert _names(_table("sort=-tier")) == ["B", "D", "A", "C"]


def test_empty_values_sort_last_in_both_directions_for_nullable_terms():
    # given one email not sent yet between two that were
    for key, sent in [("b", "2026-01-02T00:00Z"), ("unsent", None), ("a", "2026-01-01T00:00Z")]:
        OutboundEmail.objects.create(idempotency_key=key, to_email=f"{key}@x.example", subject="S", sent_at=sent)

    def order(sort):
        request = RequestFactory().get(f"/staff/outbox/?sort={sort}")
        table = Table.build(
            request, OutboundEmail.objects.all(), columns={"sent": (F("sent_at"),)}, default="sent", noun=("e", "es")
        )
        return [m.idempotency_key for m in table.page]

    # then the unsent one is last either way
    assert order("sent") == ["a", "b", "unsent"]
    assert order("-sent") == ["b", "a", "unsent"]


@pytest.mark.parametrize("sort", ["", "nope", "-", "--name", "-pk", "name,tier"])
def test_unknown_sort_falls_back_to_the_default(sort):
    table = _table(f"sort={sort}")
    assert (table.sort, table.descending) == ("name", False)


def test_links_keep_filters_and_drop_the_page():
    table = _table("q=acme&tier=enterprise&tag=a&tag=b&page=3&sort=-tier")
    assert table.query == "q=acme&tier=enterprise&tag=a&tag=b&sort=-tier"
    assert table.filter_query == "q=acme&tier=enterprise&tag=a&tag=b"
    assert table.sort_url("tier") == "/staff/x/?q=acme&tier=enterprise&tag=a&tag=b&sort=tier"
    assert table.sort_url("name") == "/staff/x/?q=acme&tier=enterprise&tag=a&tag=b&sort=name"
    assert table.clear_url == "/staff/x/?sort=-tier"
    assert table.filtered


def test_blank_parameters_are_not_a_filter_and_counts_read_naturally():
    OrganisationFactory()
    table = _table("q=&tier=")
    assert not table.filtered
    assert table.count_label == "1 row"
    OrganisationFactory()
    assert _table().count_label == "2 rows"


def test_sort_header_marks_the_current_column_only():
    table = _table("sort=-name")
    html = Template('{% load tables %}{% sort_th table "name" "Name" %}{% sort_th table "tier" "Plan" %}').render(
        Context({"table": table})
    )
    assert html == (
        '<th scope="col" aria-sort="descending"><a class="sort active" href="/staff/x/?sort=name">Name'
        '<span class="sort-indicator" aria-hidden="true">▼</span></a></th>'
        '<th scope="col"><a class="sort" href="/staff/x/?sort=tier">Plan'
        '<span class="sort-indicator" aria-hidden="true">↕</span></a></th>'
    )


def test_a_header_for_a_column_that_cannot_sort_is_a_template_error():
    with pytest.raises(TemplateSyntaxError):
        Template('{% load tables %}{% sort_th table "email" "Email" %}').render(Context({"table": _table()}))


def test_valid_filters_keeps_the_good_values_and_reports_the_bad_ones():
    form = AuditFilterForm({"action": "dpa", "since": "yesterday"})
    assert valid_filters(form) == {
        "action": "dpa",
        "actor": "",
        "target_type": "",
        "target_id": "",
        "organisation": None,
        "until": None,
    }
    assert "since" in form.errors
    assert valid_filters(AuditFilterForm()) == {}
