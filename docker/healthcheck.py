"""Container health check: GET a health endpoint of this container's web server; exit 0 on 200, else 1.

    python docker/healthcheck.py /health/live     (the image's HEALTHCHECK: the process answers)
    python docker/healthcheck.py /health/ready    (compose: database, migrations, cache, broker, a worker, storage)

The request carries the public host name of SITE_URL, so it passes ALLOWED_HOSTS like a real request."""

import os
import sys
import urllib.error
import urllib.request
from urllib.parse import urlsplit


def main() -> int:
    path = sys.argv[1] if len(sys.argv) > 1 else "/health/live"
    host = urlsplit(os.environ.get("SITE_URL", "")).netloc or "localhost"
    url = f"http://127.0.0.1:{os.environ.get('PORT', '8000')}{path}"
    request = urllib.request.Request(url, headers={"Host": host})  # noqa: S310 - a fixed http URL to ourselves
    try:
        with urllib.request.urlopen(request, timeout=float(os.environ.get("HEALTHCHECK_TIMEOUT", "8"))) as response:  # noqa: S310
            return 0 if response.status == 200 else 1
    except (urllib.error.URLError, OSError) as exc:
        sys.stderr.write(f"{url}: {exc}\n")
        return 1


if __name__ == "__main__":
    sys.exit(main())
