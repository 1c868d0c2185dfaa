"""AWS failures as a typed kind and one line an operator can act on (never a traceback).

Throttling and transient failures are retried sooner (with backoff) than configuration
problems (no region, no credentials, access denied, a log group that does not exist),
which only change when someone fixes something.
"""

from __future__ import annotations

from cockpit.core.redact import redact_secrets
from cockpit.core.text import one_line

THROTTLED = "throttled"
DENIED = "denied"
NOT_FOUND = "not_found"
EXPIRED = "expired"
NO_CREDENTIALS = "no_credentials"
NO_REGION = "no_region"
INVALID = "invalid"
NETWORK = "network"
TIMEOUT = "timeout"
OTHER = "error"

TRANSIENT = (THROTTLED, NETWORK, TIMEOUT, OTHER)

_CODES = {
    THROTTLED: ("ThrottlingException", "Throttling", "LimitExceededException", "TooManyRequestsException",
                "RequestLimitExceeded", "RequestThrottled", "RequestThrottledException", "SlowDown"),
    DENIED: ("AccessDeniedException", "AccessDenied", "UnauthorizedOperation", "UnrecognizedClientException",
             "InvalidClientTokenId", "InvalidSignatureException", "SignatureDoesNotMatch", "AuthFailure"),
    EXPIRED: ("ExpiredTokenException", "ExpiredToken", "RequestExpired", "TokenRefreshRequired"),
    NOT_FOUND: ("ResourceNotFoundException", "ResourceNotFound", "ClusterNotFoundException", "ServiceNotFoundException"),
    INVALID: ("InvalidParameterException", "InvalidParameterValue", "InvalidParameterCombination", "ValidationException",
              "MalformedQueryException"),
}
_HINTS = {
    EXPIRED: "AWS credentials expired: refresh them (e.g. `aws sso login`)",
    NO_CREDENTIALS: "no AWS credentials: set a profile (AWS_PROFILE) or keys; the default chain found none",
    NO_REGION: "no AWS region: set AWS_REGION (or aws_region in the runbook)",
}


class AwsProblem(Exception):
    """An AWS call failed: `kind` for the status and retry policy, `reason` for a human."""

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(f"{kind}: {reason}")
        self.kind = kind
        self.reason = reason

    @property
    def transient(self) -> bool:
        """True when retrying soon may help (throttling, network, timeouts, 5xx)."""
        return self.kind in TRANSIENT


def _kind_of_code(code: str, status: int) -> str:
    for kind, codes in _CODES.items():
        if code in codes:
            return kind
    return OTHER if status >= 500 or not status else INVALID if status == 400 else DENIED if status == 403 else OTHER


def classify_aws(exc: BaseException, what: str) -> AwsProblem:
    """An AwsProblem for an exception of boto3/botocore raised while doing `what`."""
    from botocore import exceptions as bx  # boto3 is only imported by the threads that use it

    if isinstance(exc, AwsProblem):
        return exc
    if isinstance(exc, bx.ClientError):
        error = exc.response.get("Error", {})
        code = str(error.get("Code", "")) or "Unknown"
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
        kind = _kind_of_code(code, status)
        message = one_line(redact_secrets(str(error.get("Message", "") or "")), 240)
        hint = _HINTS.get(kind, "")
        text = f"{code}: {message}" if message else code
        return AwsProblem(kind, f"{what}: {hint + ' — ' if hint else ''}{text}")
    if isinstance(exc, bx.NoRegionError):
        return AwsProblem(NO_REGION, f"{what}: {_HINTS[NO_REGION]}")
    if isinstance(exc, (bx.NoCredentialsError, bx.PartialCredentialsError)):
        return AwsProblem(NO_CREDENTIALS, f"{what}: {_HINTS[NO_CREDENTIALS]}")
    if isinstance(exc, bx.ProfileNotFound):
        return AwsProblem(NO_CREDENTIALS, f"{what}: {one_line(str(exc), 200)}")
    if isinstance(exc, (bx.TokenRetrievalError, bx.SSOTokenLoadError, bx.UnauthorizedSSOTokenError)):
        return AwsProblem(EXPIRED, f"{what}: {_HINTS[EXPIRED]}")
    if isinstance(exc, (bx.ConnectTimeoutError, bx.ReadTimeoutError)):
        return AwsProblem(TIMEOUT, f"{what}: {one_line(redact_secrets(str(exc)), 200)}")
    if isinstance(exc, (bx.EndpointConnectionError, bx.ConnectionClosedError, bx.HTTPClientError)):
        return AwsProblem(NETWORK, f"{what}: {one_line(redact_secrets(str(exc)), 200)}")
    if isinstance(exc, bx.ParamValidationError):
        return AwsProblem(INVALID, f"{what}: {one_line(str(exc), 200)}")
    return AwsProblem(OTHER, f"{what}: {type(exc).__name__}: {one_line(redact_secrets(str(exc)), 200)}")
