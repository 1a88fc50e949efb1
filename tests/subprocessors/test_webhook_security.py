import re
import time
from pathlib import Path

import pytest

from portal.errors import ApplicationError
from subprocessors.webhook_security import (
    URL_NOT_HTTPS,
    URL_PRIVATE,
    webhook_resolve,
    webhook_sign,
    webhook_signature_headers,
)

README = Path(__file__).resolve().parents[2] / "README.md"


def _readme_snippet() -> dict:
    text = README.read_text()
    section = text[text.index("## Webhooks") :]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    namespace: dict = {}
    exec(code, namespace)  # noqa: S102 - the documented snippet, run as a customer would
    return namespace


def test_signature_verifies_with_the_readme_snippet():
    verify = _readme_snippet()["verify"]
    body = b'{"event": "subprocessor_change.announced", "id": 7}'
    now = int(time.time())
    headers = webhook_signature_headers("whsec_test", body, now)
    assert verify("whsec_test", body, headers["X-Portal-Timestamp"], headers["X-Portal-Signature"])
    # a changed body, another secret, or an old timestamp fail
    assert not verify("whsec_test", body + b" ", headers["X-Portal-Timestamp"], headers["X-Portal-Signature"])
    assert not verify("whsec_other", body, headers["X-Portal-Timestamp"], headers["X-Portal-Signature"])
    old = now - 3600
    assert not verify("whsec_test", body, str(old), webhook_sign("whsec_test", body, old))


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",
        "https://localhost/hook",
        "https://10.0.0.8/hook",
        "https://192.168.1.1/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://0.0.0.0/hook",
    ],
)
def test_private_loopback_and_link_local_urls_are_refused_by_default(settings, url):
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False
    with pytest.raises(ApplicationError) as exc:
        webhook_resolve(url)
    assert exc.value.field == "url"
    assert exc.value.message.startswith(URL_PRIVATE.split("(")[0])


def test_plain_http_is_refused(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False
    with pytest.raises(ApplicationError, match=re.escape(URL_NOT_HTTPS)):
        webhook_resolve("http://93.184.215.14/hook")


def test_public_https_address_is_accepted(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False
    assert webhook_resolve("https://93.184.215.14:8443/hook") == ["93.184.215.14"]


def test_setting_allows_loopback_for_tests(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = True
    assert webhook_resolve("http://127.0.0.1:9999/hook") == ["127.0.0.1"]
