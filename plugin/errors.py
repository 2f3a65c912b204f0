"""The exception tree and its only mapping to HTTP.

CdsError                   base; carries status and a message safe to show the caller
 ├── BadHookRequest        400  malformed JSON or a request the spec does not allow
 ├── Unauthorized          401  missing or invalid EHR JWT
 ├── FhirServerNotAllowed  403  fhirServer is not on FHIR_ALLOWLIST; nothing was contacted
 ├── Forbidden             403  feedback about a card shown to another issuer or service; nothing stored
 ├── UnknownService        404  no service with that id
 ├── PayloadTooLarge       413  body above the configured limit
 ├── UnsupportedMediaType  415  body is not JSON
 ├── PrefetchUnavailable   412  data needed, not prefetched, and no usable fhirServer
 └── ServiceUnavailable    503  a dependency (database) is down; nothing was stored
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, jsonify
from werkzeug.exceptions import HTTPException


class CdsError(Exception):
    """Base class: an error whose message may be returned to the caller."""

    status = 500
    error = "internal_error"

    def __init__(self, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra


class BadHookRequest(CdsError):
    """Raised when the request body is not a valid CDS Hooks request."""

    status = 400
    error = "bad_request"


class Unauthorized(CdsError):
    """Raised when the caller's JWT is missing or does not verify."""

    status = 401
    error = "invalid_token"


class FhirServerNotAllowed(CdsError):
    """Raised before any connection when fhirServer is not on the allow-list (SSRF guard)."""

    status = 403
    error = "fhir_server_not_allowed"


class Forbidden(CdsError):
    """Raised when feedback names a card that was shown to another issuer or through another service."""

    status = 403
    error = "forbidden"


class UnknownService(CdsError):
    """Raised when the service id in the path is not one we offer."""

    status = 404
    error = "unknown_service"


class PrefetchUnavailable(CdsError):
    """Raised when required data was neither prefetched nor fetchable (spec: HTTP 412)."""

    status = 412
    error = "prefetch_unavailable"


class PayloadTooLarge(CdsError):
    """Raised when the body exceeds the configured size limit."""

    status = 413
    error = "payload_too_large"


class UnsupportedMediaType(CdsError):
    """Raised when the body is not sent as JSON."""

    status = 415
    error = "unsupported_media_type"


class ServiceUnavailable(CdsError):
    """Raised when a dependency is down and the request could not be completed."""

    status = 503
    error = "service_unavailable"


def _json_error(status: int, error: str, message: str, extra: dict[str, Any] | None = None) -> Response:
    body: dict[str, Any] = {"error": error, "message": message}
    body.update(extra or {})
    response = jsonify(body)
    response.status_code = status
    return response


def register_error_handlers(app: Flask) -> None:
    """Every error leaves as JSON; unexpected ones as a bare 500 without internals."""

    @app.errorhandler(CdsError)
    def _cds_error(exc: CdsError) -> Response:
        response = _json_error(exc.status, exc.error, exc.message, exc.extra)
        if isinstance(exc, Unauthorized):
            response.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
        return response

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response:
        code = exc.code or 500
        name = (exc.name or "error").lower().replace(" ", "_")
        return _json_error(code, name, exc.description or exc.name or "error")

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        app.logger.exception("unhandled error", exc_info=exc)
        return _json_error(500, "internal_error", "internal error")
