"""One error shape for every error the API returns (404, 422, 500 ...), built in one place.

Every error body is::

    {"error": {"status": 404, "title": "Not Found", "detail": "no event with id 'x'"}}

and validation errors add ``"errors"``: a list of ``{"loc": [...], "msg": "..."}``.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from seawatch._exceptions import (
    GeoError,
    NotFoundError,
    ParameterError,
    QueryTimeoutError,
    SeawatchError,
)

__all__ = ["ErrorBody", "ErrorResponse", "error_body", "error_response", "install_error_handlers"]


class ErrorItem(BaseModel):
    """One validation problem: where (``loc``) and what (``msg``)."""

    loc: list[str | int]
    msg: str


class ErrorBody(BaseModel):
    """The content of every error response."""

    status: int
    title: str
    detail: str
    errors: list[ErrorItem] | None = None


class ErrorResponse(BaseModel):
    """The body of every error response: ``{"error": {...}}``."""

    error: ErrorBody


def error_body(
    status: int, detail: str, *, errors: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """The JSON body of an error with HTTP ``status`` and a human ``detail``."""
    try:
        title = HTTPStatus(status).phrase
    except ValueError:
        title = "Error"
    body: dict[str, Any] = {"status": status, "title": title, "detail": detail}
    if errors is not None:
        body["errors"] = errors
    return {"error": body}


def error_response(
    status: int,
    detail: str,
    *,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """A :class:`JSONResponse` with :func:`error_body`."""
    return JSONResponse(
        error_body(status, detail, errors=errors), status_code=status, headers=headers
    )


def _validation_items(exc: RequestValidationError) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for err in exc.errors():
        loc = [p if isinstance(p, int) else str(p) for p in err.get("loc", ())]
        items.append({"loc": loc, "msg": str(err.get("msg", ""))})
    return items


async def _on_http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
    return error_response(exc.status_code, detail, headers=getattr(exc, "headers", None))


async def _on_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    items = _validation_items(exc)
    detail = (
        "; ".join(f"{'.'.join(str(p) for p in i['loc'])}: {i['msg']}" for i in items)
        or "invalid request"
    )
    return error_response(422, detail, errors=items)


async def _on_seawatch(request: Request, exc: Exception) -> JSONResponse:
    if isinstance(exc, NotFoundError):
        return error_response(404, str(exc))
    if isinstance(exc, ParameterError):
        return error_response(422, str(exc))
    if isinstance(exc, GeoError):  # the bundled geography is missing: a deployment problem
        return error_response(503, str(exc))
    if isinstance(exc, QueryTimeoutError):  # the request's queries ran past their time limit
        return error_response(503, str(exc), headers={"Retry-After": "5"})
    return error_response(500, f"{type(exc).__name__}: {exc}")


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    # The last-resort handler: Starlette's ServerErrorMiddleware calls it for any
    # exception no other handler took, so a bug still answers in the one error shape.
    return error_response(500, "internal server error")


def install_error_handlers(app: FastAPI) -> None:
    """Route every error through :func:`error_body`."""
    app.add_exception_handler(StarletteHTTPException, _on_http)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(SeawatchError, _on_seawatch)
    app.add_exception_handler(Exception, _on_unexpected)
