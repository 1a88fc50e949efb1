"""An email backend for the batch tests: the locmem backend, counting the connections it opens and answering
chosen recipients as an SMTP server would (refused, or the connection dropped)."""

import smtplib
from collections.abc import Callable

from django.core.mail.backends.locmem import EmailBackend as LocmemBackend


class Script:
    """What the fake server does, shared by every connection of a test (set up by the `fake_smtp` fixture)."""

    def __init__(self):
        self.opened = 0
        self.closed = 0
        self.sent: list[str] = []
        self.refuse: set[str] = set()  # recipients answered 550 (SMTPRecipientsRefused)
        self.drop: list[str] = []  # the connection drops when one of these is sent (once per entry)
        self.refuse_connections = 0  # how many opens to refuse (ConnectionRefusedError)
        self.down_after_drop = False  # after a drop, the server refuses every new connection
        self.on_send: Callable[[str], None] | None = None


SCRIPT = Script()


class CountingBackend(LocmemBackend):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.is_open = False

    def open(self):
        if self.is_open:
            return False
        if SCRIPT.refuse_connections:
            SCRIPT.refuse_connections -= 1
            raise ConnectionRefusedError(111, "Connection refused")
        SCRIPT.opened += 1
        self.is_open = True
        return True

    def close(self):
        if self.is_open:
            SCRIPT.closed += 1
        self.is_open = False

    def send_messages(self, messages):
        for message in messages:
            [to] = message.to
            if not self.is_open:
                raise smtplib.SMTPServerDisconnected("please run connect() first")
            if to in SCRIPT.drop:
                SCRIPT.drop.remove(to)
                self.is_open = False
                if SCRIPT.down_after_drop:
                    SCRIPT.refuse_connections = 100
                raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
            if to in SCRIPT.refuse:
                raise smtplib.SMTPRecipientsRefused({to: (550, b"5.1.1 No such user")})
            if SCRIPT.on_send:
                SCRIPT.on_send(to)
            SCRIPT.sent.append(to)
        return super().send_messages(messages)
