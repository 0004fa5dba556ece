"""The API's front door: URL length, the Host header and the access token, checked before
any route runs (a pure ASGI middleware; every refusal has the API's one error shape).

- A request line whose path and query exceed :data:`MAX_URL_BYTES` is refused with 414.
- DNS rebinding: a page on another site can make a browser send requests to
  ``127.0.0.1`` under the site's own name (``Host: evil.example``). Only requests whose Host
  names this server are answered: the loopback names (``localhost``, ``127.0.0.1``,
  ``[::1]``), the host the server is bound to, the names given as ``allowed_hosts``, and
  IP literals (a browser sends an IP as Host only when the page's own origin is that IP, so
  an IP literal cannot be rebound). Others get 400. ``"*"`` in ``allowed_hosts`` turns the
  check off.
- With a ``token``, every request must carry it: ``Authorization: Bearer TOKEN``, or the
  ``seawatch_token`` cookie. ``GET /?token=TOKEN`` (any path) answers a redirect to the same
  address without the token that sets the cookie (HttpOnly, SameSite=Strict), so the map and
  report pages and their API calls carry it without JavaScript ever seeing it. Tokens are
  compared in constant time (:func:`hmac.compare_digest`). Without a valid token: 401.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import re
from collections.abc import Awaitable, Callable, Iterable, MutableMapping, Sequence
from http.cookies import CookieError, SimpleCookie
from typing import Any
from urllib.parse import parse_qsl, urlencode

from seawatch._exceptions import ParameterError
from seawatch.api._errors import error_body

__all__ = [
    "COOKIE",
    "LOOPBACK_HOSTS",
    "MAX_URL_BYTES",
    "Guard",
    "check_token",
    "host_allowed",
    "is_loopback",
]

MAX_URL_BYTES = 8192
"""Longest path + query string answered (bytes, percent-encoded as sent); longer: 414."""

COOKIE = "seawatch_token"
"""The cookie that carries the access token for the map and report pages."""

LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def is_loopback(host: str) -> bool:
    """Whether binding to ``host`` keeps the server on this machine (``localhost``, any
    127.0.0.0/8 address, ``::1``)."""
    h = host.strip().strip("[]").lower()
    if h == "localhost":
        return True
    try:
        return ipaddress.ip_address(h).is_loopback
    except ValueError:
        return False


def _hostname(header: str) -> str:
    """The name part of a Host header, lower case, without port or IPv6 brackets."""
    h = header.strip().lower()
    if h.startswith("["):
        end = h.find("]")
        return h[1:end] if end > 0 else h
    if h.count(":") == 1:
        h = h.split(":", 1)[0]
    return h.rstrip(".")


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def host_allowed(header: str | None, allowed: Iterable[str]) -> bool:
    """Whether a request's Host header names this server (see the module text)."""
    names = {_hostname(a) for a in allowed}
    if "*" in names:
        return True
    if not header:
        return False
    name = _hostname(header)
    if not name:
        return False
    return name in names or name in LOOPBACK_HOSTS or _is_ip(name)


_TOKEN_RE = re.compile(r"^[A-Za-z0-9._~+/=-]{16,256}$")


def check_token(token: str) -> str:
    """``token`` if it is usable as an access token (16 to 256 characters from
    ``A-Z a-z 0-9 . _ ~ + / = -``: safe in a header, a cookie and a URL); else ParameterError."""
    if not _TOKEN_RE.match(token):
        raise ParameterError(
            "the token must be 16 to 256 characters from A-Z a-z 0-9 . _ ~ + / = - "
            "(e.g. python -c 'import secrets; print(secrets.token_urlsafe(32))')"
        )
    return token


def _token_matches(given: str | None, token: str) -> bool:
    if given is None:
        return False
    return hmac.compare_digest(given.encode("utf-8", "replace"), token.encode("utf-8"))


class Guard:
    """ASGI middleware: URL length, Host and token checks (see the module text)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        allowed_hosts: Sequence[str] = (),
        token: str | None = None,
        max_url_bytes: int = MAX_URL_BYTES,
    ) -> None:
        self.app = app
        self.allowed = (*LOOPBACK_HOSTS, *allowed_hosts)
        self.token = None if token is None else check_token(token)
        self.max_url_bytes = max_url_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        raw_path = scope.get("raw_path") or scope.get("path", "").encode("utf-8")
        query: bytes = scope.get("query_string", b"")
        if len(raw_path) + len(query) > self.max_url_bytes:
            await _refuse(send, 414, f"the URL is longer than {self.max_url_bytes} bytes")
            return
        headers = _headers(scope)
        if not host_allowed(headers.get("host"), self.allowed):
            await _refuse(
                send,
                400,
                "this server does not answer to that Host name (start it with "
                "--allowed-host NAME to add one)",
            )
            return
        if self.token is not None and not await self._authorised(scope, headers, query, send):
            return
        await self.app(scope, receive, send)

    async def _authorised(
        self, scope: Scope, headers: dict[str, str], query: bytes, send: Send
    ) -> bool:
        """True to go on; otherwise a response (redirect or 401) has been sent."""
        assert self.token is not None
        pairs = parse_qsl(query.decode("latin-1"), keep_blank_values=True)
        offered = [v for k, v in pairs if k == "token"]
        if offered:
            if len(offered) == 1 and _token_matches(offered[0], self.token):
                rest = urlencode([(k, v) for k, v in pairs if k != "token"])
                path = (scope.get("raw_path") or b"/").decode("latin-1")
                location = "/" + path.lstrip("/\\")  # never //host: no open redirect
                location += f"?{rest}" if rest else ""
                await _redirect(send, location, self._cookie())
                return False
            await _refuse(send, 401, "invalid token", auth=True)
            return False
        auth = headers.get("authorization", "")
        scheme, _, value = auth.partition(" ")
        if scheme.lower() == "bearer" and _token_matches(value.strip(), self.token):
            return True
        if _token_matches(_cookie_value(headers.get("cookie")), self.token):
            return True
        await _refuse(
            send,
            401,
            "this server needs its access token: send 'Authorization: Bearer TOKEN', or open "
            "/?token=TOKEN once in the browser",
            auth=True,
        )
        return False

    def _cookie(self) -> str:
        assert self.token is not None
        return f"{COOKIE}={self.token}; Path=/; HttpOnly; SameSite=Strict"


def _headers(scope: Scope) -> dict[str, str]:
    """Request headers by lower-case name; a repeated header keeps its first value."""
    out: dict[str, str] = {}
    for k, v in scope.get("headers", ()):
        name = k.decode("latin-1").lower()
        if name not in out:
            out[name] = v.decode("latin-1")
    return out


def _cookie_value(header: str | None) -> str | None:
    if not header:
        return None
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(header)
    except CookieError:
        return None
    morsel = jar.get(COOKIE)
    return None if morsel is None else morsel.value


async def _refuse(send: Send, status: int, detail: str, *, auth: bool = False) -> None:
    body = json.dumps(error_body(status, detail)).encode("utf-8")
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"cache-control", b"no-store"),
    ]
    if auth:
        headers.append((b"www-authenticate", b'Bearer realm="seawatch"'))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _redirect(send: Send, location: str, cookie: str) -> None:
    headers = [
        (b"location", location.encode("latin-1", "replace")),
        (b"set-cookie", cookie.encode("latin-1")),
        (b"cache-control", b"no-store"),
        (b"referrer-policy", b"no-referrer"),
        (b"content-length", b"0"),
    ]
    await send({"type": "http.response.start", "status": 303, "headers": headers})
    await send({"type": "http.response.body", "body": b""})
