"""Production's static files storage answers each name's URL from the manifest, once."""

import json

import pytest

from config.storage import StaticFilesStorage


@pytest.fixture
def storage(tmp_path, settings):
    settings.DEBUG = False
    (tmp_path / "staticfiles.json").write_text(
        json.dumps({"version": "1.1", "paths": {"css/app.css": "css/app.0123abcd.css"}})
    )
    return StaticFilesStorage(location=tmp_path, base_url="/static/")


def test_a_name_gets_its_hashed_url_from_the_manifest(storage):
    assert storage.url("css/app.css") == "/static/css/app.0123abcd.css"
    assert storage.url("css/app.css") == "/static/css/app.0123abcd.css"


def test_the_url_is_worked_out_once(storage):
    storage.url("css/app.css")
    storage.hashed_files["css/app.css"] = "css/app.ffff.css"  # the manifest, as read at start
    assert storage.url("css/app.css") == "/static/css/app.0123abcd.css"
    assert storage.url("css/app.css", force=True) == "/static/css/app.ffff.css"


def test_a_name_missing_from_the_manifest_is_still_an_error(storage):
    for _ in range(2):
        with pytest.raises(ValueError, match="Missing staticfiles manifest entry"):
            storage.url("css/missing.css")
