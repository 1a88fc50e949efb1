"""A minimal RFC 5545 calendar of obligation due times (no dependency needed for VEVENTs)."""

import datetime as dt

from django.contrib.auth import get_user_model
from django.core import signing
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac

from portal.core.permissions import has_mfa, is_legal

PRODID = "-//Trust Portal//Obligation register//EN"
FEED_SALT = "dpa.obligations-ics"


def _password_fingerprint(user) -> str:
    # Changing the password revokes every feed link the user handed to a calendar app.
    return salted_hmac(FEED_SALT, user.password or "", algorithm="sha256").hexdigest()[:16]


def obligations_feed_token(user) -> str:
    return signing.dumps({"u": user.pk, "p": _password_fingerprint(user)}, salt=FEED_SALT)


def obligations_feed_user(token: str):
    """The legal user a calendar subscription link belongs to, or None (tampered, revoked, no longer legal)."""

    try:
        payload = signing.loads(token, salt=FEED_SALT)
        user = get_user_model().objects.filter(pk=payload["u"], is_active=True).first()
    except (signing.BadSignature, KeyError, TypeError):
        return None
    if user is None or payload.get("p") != _password_fingerprint(user):
        return None
    if not (is_legal(user) and has_mfa(user) and user.has_perm("deadlines.view_obligation")):
        return None
    return user


def _escape(text: str) -> str:
    return (
        str(text)
        .replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "")
    )


def _fold(line: str) -> str:
    """Fold lines longer than 75 octets, as the RFC requires."""
    raw = line.encode()
    if len(raw) <= 75:
        return line
    parts: list[str] = []
    current = b""
    for char in line:
        encoded = char.encode()
        if len(current) + len(encoded) > (75 if not parts else 74):
            parts.append(current.decode())
            current = b""
        current += encoded
    parts.append(current.decode())
    return "\r\n ".join(parts)


def _stamp(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def _prefix(obligation) -> str:
    return "Done" if obligation.status == "completed" else "Due"


def obligations_ics(obligations, *, site_url: str) -> str:
    now = _stamp(timezone.now())
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN", "METHOD:PUBLISH"]
    lines.append("X-WR-CALNAME:Obligation deadlines")
    for o in obligations:
        url = site_url + reverse("deadlines:staff_detail", args=[o.public_id])
        lines += [
            "BEGIN:VEVENT",
            f"UID:obligation-{o.public_id}@trust-portal",
            f"DTSTAMP:{now}",
            f"DTSTART:{_stamp(o.due_at)}",
            f"DTEND:{_stamp(o.due_at)}",
            f"SUMMARY:{_escape(f'{_prefix(o)}: {o.title} ({o.organisation.name})')}",
            f"DESCRIPTION:{_escape(f'{o.get_kind_display()}. Received {_stamp(o.received_at)}. {url}')}",
            f"URL:{url}",
            "STATUS:CONFIRMED",
            "BEGIN:VALARM",
            "ACTION:DISPLAY",
            "TRIGGER:-PT24H",
            f"DESCRIPTION:{_escape(o.title)}",
            "END:VALARM",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"
