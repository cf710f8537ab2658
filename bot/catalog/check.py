"""Find ownership gaps and risky identities in a catalog before any incident."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from bot.catalog.model import Catalog, Identity, Workload

Severity = Literal["error", "warning"]

# OWASP Top 10 Non-Human Identities Risks, 2025 edition.
NHI_TITLES: dict[str, str] = {
    "NHI1": "Improper Offboarding",
    "NHI2": "Secret Leakage",
    "NHI3": "Vulnerable Third-Party NHI",
    "NHI4": "Insecure Authentication",
    "NHI5": "Overprivileged NHI",
    "NHI6": "Insecure Cloud Deployment Configurations",
    "NHI7": "Long-Lived Secrets",
    "NHI8": "Environment Isolation",
    "NHI9": "NHI Reuse",
    "NHI10": "Human Use of NHI",
}

# A credential that outlives this window gives a thief months of access.
LONG_LIVED = timedelta(days=90)

# Lowercase markers of a grant that reaches far beyond one workload's needs.
_BROAD_SCOPE_MARKERS = ("*", "administratoraccess", "cluster-admin", "cluster-wide")


@dataclass(frozen=True)
class Finding:
    """One gap in the catalog, tied to a workload and, where it fits, an NHI risk."""

    workload: str
    severity: Severity
    code: str
    message: str
    nhi: str | None
    # The identity principal or secret name the finding is about, if any.
    subject: str | None = None


def check_catalog(catalog: Catalog, *, now: datetime) -> list[Finding]:
    """Return every finding for `catalog`, judged at `now`, grouped by workload."""
    now = _utc(now)
    known = {w.name for w in catalog.workloads}
    findings: list[Finding] = []
    for workload in catalog.workloads:
        findings += _ownership(workload)
        findings += _identities(workload, now)
        findings += _secrets(workload, now)
        findings += _unknown_names(workload, known)
    findings += _reuse(catalog)

    order = {w.name: i for i, w in enumerate(catalog.workloads)}
    return sorted(findings, key=lambda f: (order[f.workload], f.severity != "error"))


def has_errors(findings: list[Finding]) -> bool:
    """Tell whether any finding is an error, which makes the check fail."""
    return any(f.severity == "error" for f in findings)


def _ownership(workload: Workload) -> list[Finding]:
    found: list[Finding] = []

    def add(severity: Severity, code: str, message: str) -> None:
        found.append(Finding(workload.name, severity, code, message, None))

    if not workload.owner:
        add("error", "no-owner", "no owner is named to page")
    if not workload.fallback_owner:
        add(
            "error",
            "no-fallback",
            "no fallback owner is named for when the owner does not answer",
        )
    elif workload.fallback_owner == workload.owner:
        add(
            "warning",
            "fallback-is-owner",
            "the fallback owner is the owner, so there is no real fallback",
        )
    # An agent's tool grants are the one thing only an approver can cut, so this
    # case gets its own code instead of the generic one.
    if not workload.approver and workload.tool_grants:
        grants = ", ".join(workload.tool_grants)
        add(
            "error",
            "agent-without-approver",
            f"agent holds tool grants ({grants}) but no approver is named "
            "to approve cutting them",
        )
    elif not workload.approver:
        add("error", "no-approver", "no containment approver is named")
    elif workload.approver == workload.owner:
        # The owner is the person most eager to keep the workload running; the
        # approver is meant to weigh that against containing it.
        add(
            "warning",
            "approver-is-owner",
            "the approver is the owner, so nobody independent approves containment",
        )
    if workload.approver and not workload.fallback_approver:
        add(
            "warning",
            "no-fallback-approver",
            "no fallback approver is named for when the approver does not decide",
        )
    if not workload.identities:
        add(
            "warning",
            "no-identities",
            "no identities are listed, so there is nothing to contain",
        )
    return found


def _identities(workload: Workload, now: datetime) -> list[Finding]:
    name = workload.name
    orphaned = not workload.owner and not workload.fallback_owner
    found: list[Finding] = []
    for identity in workload.identities:
        principal = identity.principal
        if orphaned:
            found.append(
                Finding(
                    name,
                    "warning",
                    "orphaned-identity",
                    f"identity {principal} is still present but nobody owns the "
                    "workload; offboard it or name an owner",
                    "NHI1",
                    principal,
                )
            )
        found += _lifetime(name, identity, now)
        broad = [s for s in identity.scopes if _is_broad(s)]
        if broad:
            found.append(
                Finding(
                    name,
                    "warning",
                    "overbroad-scope",
                    f"identity {principal} has overbroad scopes: {', '.join(broad)}",
                    "NHI5",
                    principal,
                )
            )
    return found


def _lifetime(name: str, identity: Identity, now: datetime) -> list[Finding]:
    principal = identity.principal
    if identity.static:
        since = ""
        if identity.issued_at:
            since = f", issued {_utc(identity.issued_at).date().isoformat()}"
        message = (
            f"identity {principal} is static{since}; "
            "replace it with a short-lived credential"
        )
        return [Finding(name, "error", "static-credential", message, "NHI7", principal)]

    message = None
    if identity.expires_at:
        left = _utc(identity.expires_at) - now
        if left > LONG_LIVED:
            message = (
                f"identity {principal} expires in {left.days} days, "
                f"more than the {LONG_LIVED.days}-day limit"
            )
    elif identity.issued_at:
        age = now - _utc(identity.issued_at)
        if age > LONG_LIVED:
            message = f"identity {principal} was issued {age.days} days ago "
            message += "and never expires"
    if message is None:
        return []
    return [
        Finding(name, "warning", "long-lived-credential", message, "NHI7", principal)
    ]


def _secrets(workload: Workload, now: datetime) -> list[Finding]:
    found: list[Finding] = []
    for secret in workload.secrets:
        # Without a declared period the same window as for credentials applies.
        period = timedelta(days=secret.rotation_days) if secret.rotation_days else None
        limit = period or LONG_LIVED
        if secret.last_rotated is None:
            message = f"secret {secret.name} has never been rotated"
            code = "secret-never-rotated"
        elif now - _utc(secret.last_rotated) > limit:
            days = (now - _utc(secret.last_rotated)).days
            message = (
                f"secret {secret.name} was last rotated {days} days ago, "
                f"past its {limit.days}-day rotation period"
            )
            code = "secret-rotation-overdue"
        else:
            continue
        found.append(
            Finding(workload.name, "warning", code, message, "NHI7", secret.name)
        )
    return found


def _unknown_names(workload: Workload, known: set[str]) -> list[Finding]:
    found: list[Finding] = []
    declared = [(i.principal, "identity", i.shared_with) for i in workload.identities]
    declared += [(s.name, "secret", s.shared_with) for s in workload.secrets]
    for subject, noun, shared_with in declared:
        for other in shared_with:
            if other in known:
                continue
            found.append(
                Finding(
                    workload.name,
                    "error",
                    "shared-with-unknown",
                    f"{noun} {subject} is shared with {other!r}, "
                    "which is not a workload in the catalog",
                    None,
                    subject,
                )
            )
    return found


def _reuse(catalog: Catalog) -> list[Finding]:
    """Report each credential used by more than one workload, on every side."""
    known = {w.name for w in catalog.workloads}
    # (noun, subject) -> workloads that hold or are declared to share it.
    holders: dict[tuple[str, str], set[str]] = defaultdict(set)
    for workload in catalog.workloads:
        for identity in workload.identities:
            subject = ("identity", identity.principal)
            holders[subject].add(workload.name)
            holders[subject].update(n for n in identity.shared_with if n in known)
        for secret in workload.secrets:
            subject = ("secret", secret.name)
            holders[subject].add(workload.name)
            holders[subject].update(n for n in secret.shared_with if n in known)

    found: list[Finding] = []
    for (noun, subject), names in holders.items():
        if len(names) < 2:
            continue
        code = "secret-shared" if noun == "secret" else "identity-shared"
        for name in sorted(names):
            others = ", ".join(sorted(names - {name}))
            message = (
                f"{noun} {subject} is also used by {others}; "
                "containing one workload affects the others"
            )
            found.append(Finding(name, "warning", code, message, "NHI9", subject))
    return found


def _is_broad(scope: str) -> bool:
    lowered = scope.lower()
    return any(marker in lowered for marker in _BROAD_SCOPE_MARKERS)


def _utc(moment: datetime) -> datetime:
    # A catalog date written without a zone is read as UTC rather than failing
    # the comparison with an aware `now`.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def render_text(findings: list[Finding]) -> str:
    """Format findings for a terminal: grouped per workload, then a summary line."""
    lines: list[str] = []
    current: str | None = None
    for finding in findings:
        if finding.workload != current:
            current = finding.workload
            lines.append(current)
        nhi = finding.nhi or "-"
        lines.append(
            f"  {finding.severity:<7}  {nhi:<5}  {finding.message} [{finding.code}]"
        )
    lines.append(_summary(findings))
    return "\n".join(lines)


def render_json(findings: list[Finding]) -> list[dict[str, Any]]:
    """Return findings as JSON-ready dicts, each with its NHI title."""
    rows = []
    for finding in findings:
        row = asdict(finding)
        row["nhi_title"] = NHI_TITLES.get(finding.nhi) if finding.nhi else None
        rows.append(row)
    return rows


def _summary(findings: list[Finding]) -> str:
    if not findings:
        return "no findings"
    errors = sum(f.severity == "error" for f in findings)
    warnings = len(findings) - errors
    workloads = len({f.workload for f in findings})
    return (
        f"{_plural(errors, 'error')}, {_plural(warnings, 'warning')} "
        f"in {_plural(workloads, 'workload')}"
    )


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
