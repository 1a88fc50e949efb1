"""Shared steps for the browser journeys: following emailed links and signing staff in."""

import re

from django.test import Client

from portal.delivery.models import OutboundEmail
from tests.auth import login


def emailed_path(row: OutboundEmail, path: str) -> str:
    """The site-relative link starting with `path` in an email's text body."""
    match = re.search(rf"https?://[^/\s]+({re.escape(path)}[^\s>)\]]*)", row.body_text)
    assert match, f"no {path} link in: {row.body_text}"
    return match.group(1)


def sign_in(page, live_server, user):
    """Sign `user` in to the browser context with a real session (staff with MFA set up pass the checks)."""
    client = Client()
    login(client, user)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
