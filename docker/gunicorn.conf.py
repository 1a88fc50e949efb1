"""gunicorn settings of the web role (docker/entrypoint.sh passes `--config docker/gunicorn.conf.py`).

No access log: the portal writes one line for every request itself, with its request id, user and organisation
(portal.request_log). gunicorn's own lines (workers booting, a worker timing out) go to stderr in the portal's
format: JSON unless DEBUG is on or LOG_FORMAT says otherwise, like the application's.
"""

import environ

from portal.logs import default_format, gunicorn_logconfig

env = environ.Env()
accesslog = None
errorlog = "-"
logconfig_dict = gunicorn_logconfig(
    log_format=env("LOG_FORMAT", default=default_format(debug=env.bool("DEBUG", default=False))),
    level=env("LOG_LEVEL", default="INFO"),
)
