"""The API's OpenAPI document as the server really answers: every error is the one shape.

FastAPI documents a 422 ``HTTPValidationError`` for every route with parameters; this API
answers a bad parameter with 400 and ``{"ok": false, "error", "status"}`` (web/errors.py),
so the document says that instead, for each status a route can give. Clients generated from
the document, and the fuzzer in the tests, then expect what they get.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

ERROR_SCHEMA = {
    "title": "Error",
    "type": "object",
    "required": ["ok", "error", "status"],
    "properties": {
        "ok": {"type": "boolean", "const": False},
        "error": {"type": "string", "description": "One sentence saying what to change."},
        "status": {"type": "integer", "description": "The HTTP status, repeated."},
    },
    "additionalProperties": False,
}
#: What any route may answer besides its success.
ERRORS = {
    "400": "Invalid request: a parameter out of its bounds, unknown or malformed.",
    "401": "A token is needed (off loopback) or the one sent is not valid.",
    "403": "The token's role is too weak, or a write came from another site's page.",
    "404": "No such metric, table or route.",
    "429": "Too many invalid tokens from this address; see Retry-After.",
    "503": "The request ran out of its time budget, or the store is busy loading.",
}
#: What a route that takes a body may answer besides.
BODY_ERRORS = {
    "408": "The request body stalled.",
    "413": "The upload is larger than the server's limit.",
}


def install_openapi(app: FastAPI) -> None:
    """Make ``app.openapi()`` document the error shape instead of FastAPI's 422."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            app.openapi_schema = with_error_shape(document)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def with_error_shape(document: dict[str, Any]) -> dict[str, Any]:
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    schemas["Error"] = ERROR_SCHEMA
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for item in document.get("paths", {}).values():
        for operation in item.values():
            responses = operation.setdefault("responses", {})
            responses.pop("422", None)
            errors = {**ERRORS, **(BODY_ERRORS if "requestBody" in operation else {})}
            for status, meaning in errors.items():
                responses.setdefault(status, {"description": meaning, "content": error})
    return document
