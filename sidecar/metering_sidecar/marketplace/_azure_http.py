"""One Azure Marketplace HTTP call on the call's thread: token, request, one token refresh after a 403, and the
translation of every failure into a RemoteError (``remote_error`` and ``answer_error``, in one place).

Codes: Throttled (429), ServiceError (5xx), BadRequest (400), NotFound (404), Conflict (409), Forbidden
(403 after one token refresh), Timeout (no answer in time), ConnectionError (no connection, or the
connection dropped without an answer), AuthenticationFailed (Entra ID gave no token), TooManyCallsInFlight
and ThreadStartFailed (``_calls.py``). Which of them mean "no answer, stop the pass" is the Azure target's
rule (``targets.AZURE_UNREACHABLE_CODES``).
"""

from __future__ import annotations

import json
import re
import ssl
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import urllib3
import urllib3.exceptions

from metering_sidecar.core import RemoteError
from metering_sidecar.marketplace._azure_auth import TokenSource
from metering_sidecar.marketplace._calls import CallTicket, DeadlinePassed

MAX_MESSAGE = 500
_BEARER = re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+")


def tls_context(ca_bundle: str = "") -> ssl.SSLContext:
    """Return the TLS context of the marketplace calls: the system's CAs, and those of ``ca_bundle`` too.

    The bundle (--azure-ca-file: a TLS-inspecting proxy's CA, or the emulator's) adds to the system's trust
    and never replaces it, so a bundle meant for Entra ID cannot make the marketplace endpoints untrusted.
    """
    context = ssl.create_default_context()
    if ca_bundle:
        context.load_verify_locations(cafile=ca_bundle)
    return context


@dataclass(frozen=True)
class Answer:
    """An HTTP answer: status, the JSON body (numbers as Decimal or int, exact) and the request id."""

    status: int
    body: Any
    request_id: str


class AzureHttp:
    """Sends one request and its single retry after a 403, on the calling (daemon) thread."""

    def __init__(self, tokens: TokenSource, pool: urllib3.PoolManager, timeout_seconds: float) -> None:
        self._tokens = tokens
        self._pool = pool
        self._timeout = timeout_seconds

    def send(
        self,
        ticket: CallTicket,
        method: str,
        url: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        """Send the request; after a 401/403, take a new token and send the identical request once more."""
        token = self._token(ticket, refresh_from=None)
        answer = self._once(ticket, method, url, body, headers or {}, token)
        if answer.status in (401, 403):
            token = self._token(ticket, refresh_from=token)
            answer = self._once(ticket, method, url, body, headers or {}, token)
        return answer

    def _token(self, ticket: CallTicket, *, refresh_from: str | None) -> str:
        if ticket.abandoned:
            raise DeadlinePassed()
        try:
            return self._tokens.token() if refresh_from is None else self._tokens.refresh(refresh_from)
        except Exception as exc:
            raise credential_error(exc) from None

    def _once(
        self,
        ticket: CallTicket,
        method: str,
        url: str,
        body: bytes | None,
        headers: dict[str, str],
        token: str,
    ) -> Answer:
        request_id = str(uuid.uuid4())
        sent_headers = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "User-Agent": "metering-sidecar",
            "x-ms-requestid": request_id,
            "x-ms-correlationid": request_id,
            **headers,
            "Authorization": f"Bearer {token}",
        }
        ticket.claim_send()
        timeout = min(self._timeout, ticket.remaining())
        response = self._pool.request(
            method,
            url,
            body=body,
            headers=sent_headers,
            timeout=urllib3.Timeout(connect=timeout, read=timeout),
            retries=False,
            redirect=False,
            preload_content=True,
        )
        raw = response.data or b""
        try:
            parsed = json.loads(raw, parse_float=Decimal) if raw.strip() else None
        except ValueError:
            parsed = raw.decode("utf-8", "replace")
        return Answer(response.status, parsed, response.headers.get("x-ms-requestid") or request_id)


def answer_error(answer: Answer, operation: str, secrets: Sequence[str] = ()) -> RemoteError:
    """Translate an answer that is not a success into a RemoteError."""
    status = answer.status
    detail = scrub(f"{_message(answer.body)} (HTTP {status}, x-ms-requestid {answer.request_id})", secrets)
    if status in (401, 403):
        return RemoteError(
            "Forbidden",
            f"Azure refused {operation} even with a new token: the Entra app is not the one registered on "
            f"the offer, or lacks access to this resource: {detail}",
            retryable=False,
        )
    if status == 429:
        return RemoteError("Throttled", f"Azure throttled {operation}: {detail}", retryable=True)
    if status >= 500:
        # A gateway's 5xx may come after Azure acted on the call.
        return RemoteError(
            "ServiceError", f"Azure failed {operation}: {detail}", retryable=True, outcome_unknown=True
        )
    named = {400: "BadRequest", 404: "NotFound", 408: "Timeout", 409: "Conflict"}
    code = named.get(status, f"HTTP{status}")
    return RemoteError(code, f"Azure refused {operation}: {detail}", retryable=status in (408, 409))


def remote_error(
    exc: BaseException, operation: str, ticket: CallTicket, secrets: Sequence[str]
) -> RemoteError:
    """Translate what a call's thread raised (other than a RemoteError) into one."""
    if isinstance(exc, DeadlinePassed):
        return RemoteError(
            "Timeout",
            f"{operation} passed its deadline before it was sent",
            retryable=True,
            outcome_unknown=ticket.sends > 0,
        )
    if isinstance(exc, urllib3.exceptions.MaxRetryError) and exc.reason is not None:
        exc = exc.reason
    text = scrub(f"{type(exc).__name__}: {exc}", secrets)
    if isinstance(exc, urllib3.exceptions.ReadTimeoutError):
        return RemoteError(
            "Timeout", f"Azure did not answer {operation}: {text}", retryable=True, outcome_unknown=True
        )
    # The connection was never made, so this attempt never left the process.
    never_made = isinstance(
        exc,
        urllib3.exceptions.NewConnectionError
        | urllib3.exceptions.ConnectTimeoutError
        | urllib3.exceptions.SSLError
        | urllib3.exceptions.LocationParseError,
    )
    unknown = ticket.sends > 1 or (ticket.sends == 1 and not never_made)
    return RemoteError(
        "ConnectionError",
        f"no answer from Azure to {operation}: {text}",
        retryable=True,
        outcome_unknown=unknown,
    )


def credential_error(exc: Exception) -> RemoteError:
    """Translate a failure to get a token into a RemoteError; the marketplace call was not sent."""
    cause = exc.__cause__ or exc.__context__
    name = type(cause).__name__ if cause is not None else ""
    reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if name in {"ServiceRequestError", "ServiceRequestTimeoutError", "ConnectionError", "SSLError"}:
        return RemoteError(
            "ConnectionError", f"Entra ID could not be reached for a token: {scrub(reason)}", retryable=True
        )
    if name in {"ServiceResponseError", "ServiceResponseTimeoutError", "ReadTimeout"}:
        return RemoteError(
            "Timeout", f"Entra ID did not answer a token request: {scrub(reason)}", retryable=True
        )
    return RemoteError(
        "AuthenticationFailed",
        f"no Entra ID token for the Azure Marketplace API ({type(exc).__name__}): {scrub(reason)}; the call "
        "was not sent. Check the tenant id, client id and the app's secret, certificate or federated "
        "credential",
        retryable=True,
    )


def scrub(text: str, secrets: Sequence[str] = ()) -> str:
    """Remove what must never reach a log line: the caller's secrets and bearer tokens."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "<redacted>")
    text = _BEARER.sub(r"\1<redacted>", text)
    return text if len(text) <= MAX_MESSAGE else text[:MAX_MESSAGE] + "…"


def _message(body: Any) -> str:
    """Return Azure's error message, with the details' messages."""
    if not isinstance(body, dict):
        return str(body or "no message")[:MAX_MESSAGE]
    parts = [str(body.get("message") or body.get("code") or "no message")]
    details = body.get("details")
    if isinstance(details, list):
        parts += [f"{d.get('target', '')}: {d.get('message', '')}" for d in details if isinstance(d, dict)]
    return "; ".join(parts)
