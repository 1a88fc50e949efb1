"""Facts about a signed-in user that every page needs (the menu's "Staff" link, the organisations on the request
log line), remembered in the cache for a few minutes, so that a signed-in page costs the session and user
lookups and no more. Kept in the cache rather than the session, so that remembering never writes the session
(or creates one for an API token). A change of group or membership shows in the menu and the log within
`MEMO_SECONDS`; permission checks never read these facts (they query, see portal.core.permissions)."""

import time
from collections.abc import Callable
from typing import Any

from django.core.cache import cache

MEMO_SECONDS = 300


def _key(user_id) -> str:
    return f"portal:user-memo:{user_id}"


def user_memo(request, user_id, name: str, compute: Callable[[], Any]) -> Any:
    """`compute()` for `user_id`, remembered for MEMO_SECONDS (unless it is None); read from the cache once per
    request."""
    if user_id is None:
        return compute()
    loaded = getattr(request, "_user_memos", None)
    if loaded is None or loaded[0] != user_id:
        loaded = (user_id, cache.get(_key(user_id)) or {})
        request._user_memos = loaded
    memos: dict = loaded[1]
    now = time.time()
    stored = memos.get(name)
    if isinstance(stored, tuple) and len(stored) == 2 and stored[0] > now:
        return stored[1]
    value = compute()
    if value is None:  # could not be worked out (e.g. the database failed): asked again next time
        return None
    memos[name] = (now + MEMO_SECONDS, value)
    cache.set(_key(user_id), {k: v for k, v in memos.items() if v[0] > now}, MEMO_SECONDS)
    return value
