"""IAM containment: deactivate a user's access keys, revoke a role's sessions."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

from bot.connectors.aws_errors import aws_errors
from bot.containment.plan import REVOKE_POLICY_NAME
from bot.containment.steps import StepOutcome, StepSpec

logger = logging.getLogger(__name__)


def key_ids(step: StepSpec) -> list[str]:
    """Return the access key ids the catalog names for a step."""
    raw = step.params.get("access_key_ids", "")
    return [key_id for key_id in raw.split(",") if key_id]


def key_statuses(iam: Any, user: str) -> dict[str, str]:
    """Read every access key of `user` and its status from IAM."""
    with aws_errors(
        f"iam:ListAccessKeys for user {user}",
        missing=f"IAM user {user} exists in the account containbot's credentials "
        "belong to, and that the catalog's user ARN is right",
    ):
        pages = iam.get_paginator("list_access_keys").paginate(UserName=user)
        return {
            key["AccessKeyId"]: key["Status"]
            for page in pages
            for key in page["AccessKeyMetadata"]
        }


def deactivate_calls(iam: Any, step: StepSpec) -> list[str]:
    """List the calls that deactivating the user's keys would make right now."""
    user = step.params["user_name"]
    statuses = key_statuses(iam, user)
    calls = [f"iam:ListAccessKeys UserName={user}"]
    for key_id, status in statuses.items():
        if status == "Active":
            calls.append(
                f"iam:UpdateAccessKey UserName={user} AccessKeyId={key_id} "
                "Status=Inactive"
            )
    if len(calls) == 1:
        calls.append(f"(no call: every access key of {user} is already Inactive)")
    return calls


def deactivate_keys(iam: Any, step: StepSpec) -> StepOutcome:
    """Set every active key of the user Inactive, then read the statuses back."""
    user = step.params["user_name"]
    listed = key_ids(step)

    before = key_statuses(iam, user)
    # Every active key, not only the catalog's: an attacker holding the user may
    # have created a second key to stay in.
    changed = [key_id for key_id, status in before.items() if status == "Active"]
    for key_id in changed:
        with aws_errors(
            f"iam:UpdateAccessKey for key {key_id} of user {user}",
            missing=f"access key {key_id} still belongs to IAM user {user}",
        ):
            iam.update_access_key(UserName=user, AccessKeyId=key_id, Status="Inactive")
        logger.info("Deactivated access key %s of IAM user %s", key_id, user)

    after = key_statuses(iam, user)
    still_active = sorted(k for k, status in after.items() if status != "Inactive")
    not_on_user = [k for k in listed if k not in after]
    unlisted = [k for k in changed if k not in listed]
    evidence = {
        "user_name": user,
        "deactivated": changed,
        "key_statuses": after,
        "catalog_keys_not_on_user": not_on_user,
    }
    if still_active:
        detail = f"Keys of IAM user {user} still active: {', '.join(still_active)}."
        return StepOutcome(ok=False, detail=detail, evidence=evidence)
    if changed:
        detail = f"Deactivated {', '.join(changed)} of IAM user {user}"
    else:
        detail = f"Nothing to change: every access key of IAM user {user} was Inactive"
    detail += f"; read back {len(after)} key(s), all Inactive."
    if unlisted:
        detail += f" The catalog does not list {', '.join(unlisted)}; review it."
    if not_on_user:
        detail += (
            f" The catalog's {', '.join(not_on_user)} is not on the user "
            "(deleted or rotated); update the catalog."
        )
    return StepOutcome(ok=True, detail=detail, evidence=evidence)


def reactivate_keys(
    iam: Any, step: StepSpec, evidence: Mapping[str, Any] | None
) -> StepOutcome:
    """Set Active again the keys that `deactivate_keys` changed, per its evidence."""
    user = step.params["user_name"]
    if not evidence or "deactivated" not in evidence:
        return StepOutcome(
            ok=False,
            detail=f"Cannot undo for IAM user {user}: the evidence of the run that "
            "deactivated the keys is needed to know which keys were active before.",
        )

    wanted = list(evidence["deactivated"])
    for key_id in wanted:
        with aws_errors(
            f"iam:UpdateAccessKey for key {key_id} of user {user}",
            missing=f"access key {key_id} still belongs to IAM user {user}",
        ):
            iam.update_access_key(UserName=user, AccessKeyId=key_id, Status="Active")
        logger.info("Re-activated access key %s of IAM user %s", key_id, user)

    after = key_statuses(iam, user)
    inactive = [k for k in wanted if after.get(k) != "Active"]
    outcome_evidence = {"user_name": user, "reactivated": wanted, "key_statuses": after}
    if inactive:
        detail = (
            f"Keys of IAM user {user} not Active after undo: {', '.join(inactive)}."
        )
        return StepOutcome(ok=False, detail=detail, evidence=outcome_evidence)
    detail = (
        f"Re-activated {', '.join(wanted)} of IAM user {user}."
        if wanted
        else f"Nothing to undo: containbot deactivated no key of IAM user {user}."
    )
    return StepOutcome(ok=True, detail=detail, evidence=outcome_evidence)


def cutoff_text(now: datetime) -> str:
    """Format the session cutoff as the ISO 8601 UTC time IAM conditions expect."""
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    return now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def revoke_policy(cutoff: str) -> dict[str, Any]:
    """Build the deny-all policy for sessions issued before `cutoff`."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Deny",
                "Action": ["*"],
                "Resource": ["*"],
                "Condition": {"DateLessThan": {"aws:TokenIssueTime": cutoff}},
            }
        ],
    }


def revoke_calls(step: StepSpec, now: datetime) -> list[str]:
    """List the calls that revoking the role's sessions at `now` would make."""
    role = step.params["role_name"]
    policy = step.params.get("policy_name", REVOKE_POLICY_NAME)
    document = json.dumps(revoke_policy(cutoff_text(now)), separators=(",", ":"))
    return [
        f"iam:PutRolePolicy RoleName={role} PolicyName={policy} "
        f"PolicyDocument={document}",
        f"iam:GetRolePolicy RoleName={role} PolicyName={policy}",
    ]


def revoke_sessions(iam: Any, step: StepSpec, now: datetime) -> StepOutcome:
    """Deny every session of the role issued before `now`, then read it back."""
    role = step.params["role_name"]
    policy = step.params.get("policy_name", REVOKE_POLICY_NAME)
    cutoff = cutoff_text(now)
    missing = f"IAM role {role} exists and the catalog's role ARN is right"

    with aws_errors(f"iam:PutRolePolicy {policy} on role {role}", missing=missing):
        iam.put_role_policy(
            RoleName=role,
            PolicyName=policy,
            PolicyDocument=json.dumps(revoke_policy(cutoff)),
        )
    logger.info("Revoked sessions of IAM role %s issued before %s", role, cutoff)

    read_cutoff = _read_cutoff(iam, role, policy)
    names = _inline_policies(iam, role)
    evidence = {
        "role_name": role,
        "policy_name": policy,
        "cutoff": read_cutoff,
        "inline_policies": names,
    }
    if read_cutoff != cutoff:
        detail = (
            f"Role {role}'s policy {policy} reads back cutoff {read_cutoff}, "
            f"expected {cutoff}."
        )
        return StepOutcome(ok=False, detail=detail, evidence=evidence)
    detail = (
        f"Role {role} now denies every action to sessions issued before {cutoff} "
        f"(inline policy {policy}, read back)."
    )
    return StepOutcome(ok=True, detail=detail, evidence=evidence)


def remove_revocation(iam: Any, step: StepSpec) -> StepOutcome:
    """Delete the deny policy so older sessions work again, then read it back."""
    role = step.params["role_name"]
    policy = step.params.get("policy_name", REVOKE_POLICY_NAME)

    # Listing first tells a missing role (an error) from a policy already gone
    # (the state undo wants).
    if policy in _inline_policies(iam, role):
        with aws_errors(
            f"iam:DeleteRolePolicy {policy} on role {role}",
            missing=f"IAM role {role} still has inline policy {policy}",
        ):
            iam.delete_role_policy(RoleName=role, PolicyName=policy)
        logger.info("Removed session revocation from IAM role %s", role)

    names = _inline_policies(iam, role)
    evidence = {"role_name": role, "inline_policies": names}
    if policy in names:
        detail = f"Policy {policy} is still on role {role} after undo."
        return StepOutcome(ok=False, detail=detail, evidence=evidence)
    detail = f"Removed {policy} from role {role}; older sessions work again."
    return StepOutcome(ok=True, detail=detail, evidence=evidence)


def _inline_policies(iam: Any, role: str) -> list[str]:
    with aws_errors(
        f"iam:ListRolePolicies for role {role}",
        missing=f"IAM role {role} exists and the catalog's role ARN is right",
    ):
        pages = iam.get_paginator("list_role_policies").paginate(RoleName=role)
        return [name for page in pages for name in page["PolicyNames"]]


def _read_cutoff(iam: Any, role: str, policy: str) -> str | None:
    with aws_errors(
        f"iam:GetRolePolicy {policy} on role {role}",
        missing=f"IAM role {role} still has inline policy {policy}",
    ):
        document = iam.get_role_policy(RoleName=role, PolicyName=policy)[
            "PolicyDocument"
        ]
    # boto3 decodes the URL-encoded JSON IAM returns; a raw string is handled too.
    if isinstance(document, str):
        document = json.loads(unquote(document))
    for statement in document.get("Statement", []):
        condition = statement.get("Condition", {}).get("DateLessThan", {})
        if "aws:TokenIssueTime" in condition:
            return str(condition["aws:TokenIssueTime"])
    return None
