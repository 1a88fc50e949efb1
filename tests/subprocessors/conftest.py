import socket

import pytest


class FakeDNS:
    """A `socket.getaddrinfo` stand-in with scripted answers per host name, and a record of every lookup.

    `answers[name]` is a list of answers, one per lookup, the last one repeating: `[["93.184.215.14"],
    ["127.0.0.1"]]` answers a public address once and loopback from then on (DNS rebinding). Names without a
    script and IP literals go to the real resolver (numeric, so no network).
    """

    def __init__(self, real):
        self.real = real
        self.answers: dict[str, list[list[str]]] = {}
        self.calls: list[str] = []

    def __call__(self, host, port, family=0, type=0, proto=0, flags=0):
        self.calls.append(host)
        script = self.answers.get(host)
        if script is None:
            return self.real(host, port, family, type, proto, flags)
        answer = script.pop(0) if len(script) > 1 else script[0]
        if not answer:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [
            (socket.AF_INET6, socket.SOCK_STREAM, 6, "", (a, port, 0, 0))
            if ":" in a
            else (socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
            for a in answer
        ]

    def lookups(self, host: str) -> int:
        return self.calls.count(host)


@pytest.fixture
def dns(monkeypatch):
    fake = FakeDNS(socket.getaddrinfo)
    monkeypatch.setattr(socket, "getaddrinfo", fake)
    return fake
