"""The SPIRE connector: delete the registration entries of a SPIFFE ID.

SPIRE Server's API is gRPC only, over a Unix socket (no HTTP or REST form), and
Python has no official client for it. The honest path available is the
`spire-server` CLI, which talks to that socket: `entry show -spiffeID`, `entry
delete -entryID` and, to undo, `entry create`, all with `-output json` (SPIRE
1.6 and later).
"""

from __future__ import annotations

import json
import logging
import subprocess
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from bot.containment.steps import StepOutcome, StepSpec
from bot.errors import ConnectorError

logger = logging.getLogger(__name__)

ACTIONS = ("delete_entry",)
_NOT_FOUND = 5  # gRPC status code NotFound
# Entry fields `entry create` takes back as flags, to recreate an entry on undo.
_FLAGS = {
    "x509_svid_ttl": "-x509SVIDTTL",
    "jwt_svid_ttl": "-jwtSVIDTTL",
    "hint": "-hint",
}


def spiffe_text(spiffe_id: Mapping[str, str]) -> str:
    """Turn the CLI's `{trust_domain, path}` back into a spiffe:// URI."""
    return f"spiffe://{spiffe_id['trust_domain']}{spiffe_id['path']}"


class SpireConnector:
    """Run containment steps through the spire-server CLI on the server's host."""

    name = "spire"

    def __init__(self, binary: str, socket: str | None = None, timeout: float = 20):
        self._binary = binary
        self._socket = socket
        self._timeout = timeout

    def dry_run(self, step: StepSpec, *, now: datetime) -> list[str]:
        """Return the exact commands `execute` would run, one per line."""
        spiffe_id = self._spiffe_id(step)
        entries = self._entries(spiffe_id)
        show = " ".join(self._command("entry", "show", "-spiffeID", spiffe_id))
        calls = [show]
        calls += [
            " ".join(self._command("entry", "delete", "-entryID", e["id"]))
            for e in entries
        ]
        if not entries:
            calls.append(f"(no call: no registration entry has SPIFFE ID {spiffe_id})")
        return calls + [show]

    def execute(self, step: StepSpec, *, now: datetime) -> StepOutcome:
        """Delete every entry of the SPIFFE ID, then list them again."""
        spiffe_id = self._spiffe_id(step)
        logger.info("Running %s on %s", step.key, spiffe_id)
        entries = self._entries(spiffe_id)

        for entry in entries:
            result = self._run("entry", "delete", "-entryID", entry["id"])
            status = (result.get("results") or [{}])[0].get("status", {})
            # Deleted by someone else meanwhile is the state this step wants.
            if status.get("code", 0) not in (0, _NOT_FOUND):
                raise ConnectorError(
                    f"spire-server entry delete {entry['id']} failed: "
                    f"{status.get('message')}"
                )
            logger.info("Deleted SPIRE entry %s of %s", entry["id"], spiffe_id)

        left = self._entries(spiffe_id)
        evidence = {
            "spiffe_id": spiffe_id,
            "deleted_entries": entries,
            "entries_after": [e["id"] for e in left],
        }
        if left:
            still = ", ".join(e["id"] for e in left)
            detail = f"SPIRE entries of {spiffe_id} still there: {still}."
            return StepOutcome(ok=False, detail=detail, evidence=evidence)
        ids = ", ".join(e["id"] for e in entries)
        detail = (
            f"Deleted SPIRE entries {ids} of {spiffe_id}; entry show now finds none. "
            "SVIDs already issued stay valid until they expire."
            if entries
            else f"Nothing to delete: no SPIRE entry has SPIFFE ID {spiffe_id}."
        )
        return StepOutcome(ok=True, detail=detail, evidence=evidence)

    def undo(
        self, step: StepSpec, *, evidence: Mapping[str, Any] | None = None
    ) -> StepOutcome:
        """Recreate the deleted entries (with new entry ids) from the evidence."""
        spiffe_id = self._spiffe_id(step)
        deleted = list((evidence or {}).get("deleted_entries", []))
        if not evidence or "deleted_entries" not in evidence:
            return StepOutcome(
                ok=False,
                detail=f"Cannot recreate the entries of {spiffe_id}: the evidence of "
                "the run that deleted them is needed.",
            )
        existing = {_shape(e) for e in self._entries(spiffe_id)}
        for entry in deleted:
            if _shape(entry) in existing:
                continue
            self._run("entry", "create", *_create_flags(entry))
            logger.info("Recreated a SPIRE entry of %s", spiffe_id)

        after = self._entries(spiffe_id)
        have = {_shape(e) for e in after}
        missing = [e["id"] for e in deleted if _shape(e) not in have]
        outcome_evidence = {
            "spiffe_id": spiffe_id,
            "entries_after": [e["id"] for e in after],
        }
        if missing:
            detail = f"SPIRE entries not recreated for {spiffe_id}: {missing}."
            return StepOutcome(ok=False, detail=detail, evidence=outcome_evidence)
        detail = f"Recreated {len(deleted)} SPIRE entr(ies) of {spiffe_id} (read back)."
        return StepOutcome(ok=True, detail=detail, evidence=outcome_evidence)

    def _spiffe_id(self, step: StepSpec) -> str:
        if step.connector != self.name or step.action not in ACTIONS:
            raise ConnectorError(
                f"The spire connector cannot run {step.connector}.{step.action}; "
                f"it runs {', '.join(ACTIONS)}."
            )
        spiffe_id = step.params.get("spiffe_id", "")
        if not spiffe_id.startswith("spiffe://"):
            raise ConnectorError(f"Step {step.key} lacks a spiffe:// SPIFFE ID.")
        return spiffe_id

    def _entries(self, spiffe_id: str) -> list[dict[str, Any]]:
        shown = self._run("entry", "show", "-spiffeID", spiffe_id)
        entries = shown.get("entries") or []
        # The CLI filters server-side; keep exact matches only, to be sure.
        return [e for e in entries if spiffe_text(e["spiffe_id"]) == spiffe_id]

    def _command(self, *args: str) -> list[str]:
        command = [self._binary, *args]
        if self._socket:
            command += ["-socketPath", self._socket]
        return command + ["-output", "json"]

    def _run(self, *args: str) -> dict[str, Any]:
        command = self._command(*args)
        what = f"spire-server {' '.join(args[:2])}"
        try:
            done = subprocess.run(
                command,
                capture_output=True,
                text=True,
                timeout=self._timeout,
                check=False,
            )
        except FileNotFoundError as exc:
            raise ConnectorError(
                f"{what} failed: {self._binary} does not exist. Set "
                "CONTAINBOT_SPIRE_SERVER_BIN to the spire-server binary."
            ) from exc
        except subprocess.TimeoutExpired as exc:
            raise ConnectorError(
                f"{what} timed out after {self._timeout:.0f} s; check the server."
            ) from exc
        if done.returncode != 0:
            message = (done.stderr or done.stdout).strip().splitlines()
            raise ConnectorError(
                f"{what} failed: {message[-1] if message else 'no output'}. Check "
                "CONTAINBOT_SPIRE_SOCKET (the server API socket) and that containbot "
                "may use it."
            )
        try:
            result: dict[str, Any] = json.loads(done.stdout or "{}")
        except ValueError as exc:
            raise ConnectorError(
                f"{what} printed no JSON; containbot needs SPIRE 1.6 or later for "
                "-output json."
            ) from exc
        return result


def _shape(entry: Mapping[str, Any]) -> tuple[str, str, tuple[str, ...]]:
    """Identify an entry by what it grants, since recreation changes its id."""
    selectors = tuple(sorted(f"{s['type']}:{s['value']}" for s in entry["selectors"]))
    return spiffe_text(entry["spiffe_id"]), spiffe_text(entry["parent_id"]), selectors


def _create_flags(entry: Mapping[str, Any]) -> list[str]:
    spiffe_id, parent_id, selectors = _shape(entry)
    flags = ["-spiffeID", spiffe_id, "-parentID", parent_id]
    for selector in selectors:
        flags += ["-selector", selector]
    for field, flag in _FLAGS.items():
        if entry.get(field):
            flags += [flag, str(entry[field])]
    for name in entry.get("dns_names") or []:
        flags += ["-dns", name]
    for domain in entry.get("federates_with") or []:
        flags += ["-federatesWith", domain]
    for field in ("admin", "downstream"):
        if entry.get(field):
            flags.append(f"-{field}")
    return flags
