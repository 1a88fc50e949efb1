"""One way to sort, filter, count and page a staff list.

A view builds a `Table` from the request, its queryset and a whitelist of sortable columns; the templates render
it with `{% sort_th table "key" "Label" %}` (portal/templatetags/tables.py), `includes/table_filters.html`,
`includes/table_summary.html`, `includes/table_empty.html` and `includes/pagination.html`.

`?sort=key` sorts ascending and `?sort=-key` descending; an unknown key falls back to the view's default, so a
hand-edited URL never turns into a 500. The primary key breaks ties so that rows do not move between pages.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.core.paginator import Page, Paginator
from django.db.models import F, OrderBy, QuerySet
from django.db.models.expressions import BaseExpression

PAGE_SIZE = 50
# Query parameters that arrange a list rather than narrow it.
ARRANGING = frozenset({"sort", "page"})

OrderTerm = str | F | BaseExpression


def _ordering(terms: Sequence[OrderTerm], *, descending: bool) -> list[str | OrderBy]:
    """Plain field names keep the database's own NULL placement, so indexes serve both directions; pass
    `F("field")` for a nullable column whose empty values should sort last either way."""
    ordering: list[str | OrderBy] = []
    for term in [*terms, "pk"]:
        if isinstance(term, str):
            # A term may itself be descending ("-aware_at"); reversing the column reverses it too.
            if descending:
                term = term[1:] if term.startswith("-") else f"-{term}"
            ordering.append(term)
        elif descending:
            ordering.append(term.desc(nulls_last=True))
        else:
            ordering.append(term.asc(nulls_last=True))
    return ordering


@dataclass
class Table:
    """The state of one staff list for one request; build it with `Table.build`."""

    page: Page
    sort: str
    descending: bool
    path: str
    params: dict[str, list[str]]
    filtered: bool
    noun: tuple[str, str]
    sortable: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def build(
        cls,
        request,
        queryset: QuerySet,
        *,
        columns: Mapping[str, Sequence[OrderTerm]],
        default: str,
        noun: tuple[str, str],
        filtered: bool | None = None,
        page_size: int | None = None,
    ) -> "Table":
        """`columns` maps a sort key to the ascending ORDER BY terms; `default` is a key, "-" for descending.

        `filtered` says whether the user narrowed the list (it picks the empty-state text); by default any
        non-empty query parameter other than sort and page counts.
        """
        requested = request.GET.get("sort", "")
        key = requested.removeprefix("-")
        if key not in columns:
            requested = default
            key = default.removeprefix("-")
        descending = requested.startswith("-")
        queryset = queryset.order_by(*_ordering(columns[key], descending=descending))
        params = {k: request.GET.getlist(k) for k in request.GET if k not in ARRANGING}
        if filtered is None:
            filtered = any(v.strip() for values in params.values() for v in values)
        return cls(
            page=Paginator(queryset, page_size or PAGE_SIZE).get_page(request.GET.get("page")),
            sort=key,
            descending=descending,
            path=request.path,
            params=params,
            filtered=filtered,
            noun=noun,
            sortable=frozenset(columns),
        )

    def _query(self, **extra: str) -> str:
        pairs = [(k, v) for k, values in self.params.items() for v in values]
        pairs += [(k, v) for k, v in extra.items() if v]
        return urlencode(pairs)

    @property
    def sort_param(self) -> str:
        return f"-{self.sort}" if self.descending else self.sort

    @property
    def query(self) -> str:
        """Filters and sort, without the page: what the pagination links carry."""
        return self._query(sort=self.sort_param)

    @property
    def filter_query(self) -> str:
        """Filters only: what export links carry."""
        return self._query()

    def sort_url(self, key: str) -> str:
        """Ascending on a new column; toggles direction on the current one; back to page 1 either way."""
        target = f"-{key}" if key == self.sort and not self.descending else key
        return f"{self.path}?{self._query(sort=target)}"

    @property
    def clear_url(self) -> str:
        """The list without filters, in the same order."""
        return f"{self.path}?{urlencode({'sort': self.sort_param})}"

    @property
    def count(self) -> int:
        return self.page.paginator.count

    @property
    def count_label(self) -> str:
        singular, plural = self.noun
        return f"{self.count} {singular if self.count == 1 else plural}"


def valid_filters(form) -> dict:
    """The filter values that passed validation; invalid ones are ignored and shown as field errors."""
    if not form.is_bound:
        return {}
    form.is_valid()
    return {name: value for name, value in form.cleaned_data.items() if name not in form.errors}
