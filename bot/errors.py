"""The project's exception tree: one root, a subclass where the meaning differs."""

from __future__ import annotations


class ContainbotError(Exception):
    """Root of every error containbot raises on purpose."""


class SettingsError(ContainbotError):
    """A setting is missing or malformed; the message names it and its purpose."""


class CatalogError(ContainbotError):
    """The catalog file cannot be used; the message names the workload and field."""


class AlertRejected(ContainbotError):
    """An alert body cannot be used; the reason is shown to the sender and stored."""

    def __init__(self, reason: str, status: int = 400) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


class NotAuthorized(ContainbotError):
    """A person tried something their role in the incident does not allow."""


class ConnectorError(ContainbotError):
    """A connector call failed; the step is reported failed and can be retried."""


class IncidentNotFound(ContainbotError):
    """No incident has the id or channel given."""
