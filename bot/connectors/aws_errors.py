"""Turn botocore failures into `ConnectorError`s that say what to check."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
)

from bot.errors import ConnectorError

_NOT_FOUND = {"NoSuchEntity", "ResourceNotFoundException"}
_DENIED = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation"}
_BAD_CREDENTIALS = {
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "SignatureDoesNotMatch",
    "ExpiredToken",
    "ExpiredTokenException",
}
_THROTTLED = {"Throttling", "ThrottlingException", "TooManyRequestsException"}


def error_code(exc: ClientError) -> str:
    """Return the AWS error code of a client error."""
    return str(exc.response.get("Error", {}).get("Code", ""))


@contextmanager
def aws_errors(what: str, *, missing: str) -> Iterator[None]:
    """Raise `ConnectorError` naming `what` failed; `missing` says what to check."""
    try:
        yield
    except ClientError as exc:
        raise ConnectorError(_describe(what, exc, missing)) from exc
    except NoCredentialsError as exc:
        raise ConnectorError(
            f"{what} failed: no AWS credentials found. Give containbot credentials "
            "through the standard chain (AWS_PROFILE, AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY, or an instance or task role)."
        ) from exc
    except NoRegionError as exc:
        raise ConnectorError(
            f"{what} failed: no AWS region is set; set AWS_DEFAULT_REGION."
        ) from exc
    except EndpointConnectionError as exc:
        raise ConnectorError(
            f"{what} failed: cannot reach {exc.kwargs.get('endpoint_url')}. "
            "Check the network path to AWS and CONTAINBOT_AWS_ENDPOINT_URL."
        ) from exc
    except BotoCoreError as exc:
        raise ConnectorError(f"{what} failed: {exc}") from exc


def _describe(what: str, exc: ClientError, missing: str) -> str:
    code = error_code(exc)
    message = str(exc.response.get("Error", {}).get("Message", "")).rstrip(". ")
    if code in _NOT_FOUND:
        return f"{what} failed: {message}. Check that {missing}."
    if code in _DENIED:
        return (
            f"{what} failed: containbot's AWS identity is not allowed to do this "
            f"({message}). Grant the action in the policy of the role or user "
            "containbot runs as."
        )
    if code in _BAD_CREDENTIALS:
        return (
            f"{what} failed: AWS rejected containbot's credentials ({code}). Check "
            "the profile or keys containbot runs with."
        )
    if code in _THROTTLED:
        return f"{what} failed: AWS throttled the call ({code}); run the step again."
    return f"{what} failed: {code}: {message}"


class _Redact(logging.Filter):
    def __init__(self, value: str) -> None:
        super().__init__()
        self._value = value

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        if self._value in text:
            record.msg = text.replace(self._value, "[redacted]")
            record.args = ()
        return True


@contextmanager
def value_redacted(value: str) -> Iterator[None]:
    """Keep `value` out of AWS SDK log records for the duration of a call."""
    # botocore logs whole request bodies at DEBUG, which would carry a new
    # secret value; a filter on each SDK logger rewrites such records.
    names = [
        name
        for name in logging.Logger.manager.loggerDict
        if name.split(".")[0] in {"botocore", "boto3", "urllib3", "s3transfer"}
    ]
    loggers = [logging.getLogger(name) for name in {"botocore", *names}]
    redact = _Redact(value)
    for logger in loggers:
        logger.addFilter(redact)
    try:
        yield
    finally:
        for logger in loggers:
            logger.removeFilter(redact)
