from django import template
from django.utils.html import format_html

from portal.core.tables import Table

register = template.Library()

INDICATORS = {"ascending": "▲", "descending": "▼", None: "↕"}


@register.simple_tag
def sort_th(table: Table, key: str, label: str, css_class: str = ""):
    """A column header that sorts the table by `key`; `aria-sort` and the arrow show the current order."""
    if key not in table.sortable:
        raise template.TemplateSyntaxError(f"{key!r} is not a sortable column of this table")
    state = None
    if key == table.sort:
        state = "descending" if table.descending else "ascending"
    return format_html(
        '<th scope="col"{}{}><a class="sort{}" href="{}">{}'
        '<span class="sort-indicator" aria-hidden="true">{}</span></a></th>',
        format_html(' class="{}"', css_class) if css_class else "",
        format_html(' aria-sort="{}"', state) if state else "",
        " active" if state else "",
        table.sort_url(key),
        label,
        INDICATORS[state],
    )
