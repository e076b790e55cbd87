"""The error catalogue and the API description: every code has a meaning, every documented
error is an ErrorBody, and the limits in the document are this server's Settings."""

from __future__ import annotations

from typing import Any

from scrapbook.core.errors import MEANINGS, ErrorCode, InvalidInput
from scrapbook.main import create_app


def test_every_error_code_has_a_meaning_and_codes_outside_the_catalogue_fail():
    assert set(MEANINGS) == set(ErrorCode)
    assert all(MEANINGS[code].strip() for code in ErrorCode)
    try:
        InvalidInput("x", code="made_up")  # type: ignore[arg-type]
    except ValueError:
        pass
    else:
        raise AssertionError("a code outside the catalogue was accepted")


def _responses(document: dict[str, Any]) -> list[tuple[str, str, str, dict[str, Any]]]:
    return [(path, method, status, answer)
            for path, item in document["paths"].items()
            for method, operation in item.items()
            for status, answer in operation["responses"].items()]


def test_every_documented_error_is_our_error_body(client):
    document = client.get("/openapi.json").json()
    assert "HTTPValidationError" not in document["components"]["schemas"]
    body = document["components"]["schemas"]["ErrorBody"]
    assert set(body["properties"]) == {"error", "detail", "field"}
    errors = [r for r in _responses(document) if r[2].startswith(("4", "5"))]
    assert len(errors) > 100
    for path, method, status, answer in errors:
        schema = answer["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/ErrorBody"}, (path, method, status)
    # Every operation says what it answers when input is wrong.
    for path, item in document["paths"].items():
        for method, operation in item.items():
            assert "400" in operation["responses"], (path, method)


def test_the_error_codes_are_listed_in_the_document(client):
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    assert set(schemas["ErrorCode"]["enum"]) == {code.value for code in ErrorCode}


def test_the_limits_in_the_document_are_this_servers_settings(settings):
    def form(app: Any) -> dict[str, Any]:
        operation = app.openapi()["paths"]["/api/contributions"]["post"]
        return operation["requestBody"]["content"]["multipart/form-data"]["schema"]["properties"]

    default = create_app(settings)
    assert form(default)["title"]["maxLength"] == settings.title_max == 200
    assert form(default)["tags"]["maxItems"] == settings.tags_max
    assert form(default)["tags"]["items"]["maxLength"] == settings.tag_max
    narrower = create_app(settings.model_copy(update={"title_max": 80, "report_max": 500}))
    assert form(narrower)["title"]["maxLength"] == 80
    report = narrower.openapi()["components"]["schemas"]["ReportIn"]["properties"]["message"]
    assert report["maxLength"] == 500
    for app in (default, narrower):
        app.state.engine.dispose()
