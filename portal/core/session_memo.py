"""Per-session memory of facts about the signed-in user that every page needs (the menu's "Staff" link, the
organisations on the request log line), so that a signed-in page costs the session and user lookups and no
more. A memo is refreshed after `MEMO_SECONDS`: a change of group or membership shows in the menu and the log
within minutes; permission checks never read it (they query, see portal.core.permissions)."""

import time
from collections.abc import Callable
from typing import Any

from django.contrib.auth import SESSION_KEY

MEMO_SECONDS = 300
_PREFIX = "_memo:"


def session_memo(request, user_id, name: str, compute: Callable[[], Any]) -> Any:
    """`compute()`, remembered in the session of `user_id` for MEMO_SECONDS. Without such a session (an API
    token, a visitor) it is computed every time: a memo must never create a session."""
    session = getattr(request, "session", None)
    if session is None or user_id is None or session.get(SESSION_KEY) != str(user_id):
        return compute()
    key = _PREFIX + name
    stored = session.get(key)
    now = time.time()
    if (
        isinstance(stored, list)
        and len(stored) == 2
        and isinstance(stored[0], int | float)
        and now - stored[0] < MEMO_SECONDS
    ):
        return stored[1]
    value = compute()
    session[key] = [now, value]
    return value
