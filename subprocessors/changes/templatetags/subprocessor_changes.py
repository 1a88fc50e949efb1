from django import template

from subprocessors.changes.selectors import upcoming_changes as select

register = template.Library()


@register.simple_tag
def upcoming_changes():
    """Announced changes, for the public page's "Upcoming changes" section (one query)."""

    return select()
