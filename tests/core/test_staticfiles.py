"""The production static storage with a manifest: names missing from it are served unhashed, and only real files
missing from it are reported (the web container's log showed an error per WhiteNoise probe at every start)."""

import json
import logging

from portal.core.staticfiles import PortalStaticFilesStorage


def _storage(tmp_path) -> PortalStaticFilesStorage:
    manifest = {"paths": {"css/portal.css": "css/portal.0123456789ab.css"}, "version": "1.1", "hash": "0"}
    (tmp_path / "staticfiles.json").write_text(json.dumps(manifest))
    return PortalStaticFilesStorage(location=str(tmp_path), base_url="/static/")


def test_a_name_in_the_manifest_gets_its_hashed_url(tmp_path):
    assert _storage(tmp_path).url("css/portal.css") == "/static/css/portal.0123456789ab.css"


def test_a_file_added_after_collectstatic_is_served_unhashed_and_reported(tmp_path, caplog):
    with caplog.at_level(logging.ERROR, logger="portal.core.staticfiles"):
        url = _storage(tmp_path).url("js/countdown.js")
    assert url == "/static/js/countdown.js"
    assert [r.getMessage() for r in caplog.records] == [
        "static file js/countdown.js is not in the manifest; run collectstatic"
    ]


def test_names_that_exist_nowhere_are_not_reported(tmp_path, caplog):
    # what WhiteNoise asks at start-up for admin/js/jquery.init.js and rest_framework/css/bootstrap.min.css
    with caplog.at_level(logging.ERROR, logger="portal.core.staticfiles"):
        storage = _storage(tmp_path)
        assert storage.url("admin/js/jquery.js") == "/static/admin/js/jquery.js"
        assert storage.url("rest_framework/css/bootstrap.css") == "/static/rest_framework/css/bootstrap.css"
    assert caplog.records == []
