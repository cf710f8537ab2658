"""Read AWS ARNs and reduce IAM principals to what identifies them: account and name."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Arn:
    """The six colon-separated parts of an ARN; `resource` keeps its own colons."""

    partition: str
    service: str
    region: str
    account: str
    resource: str


@dataclass(frozen=True)
class Principal:
    """An IAM user or role, named the way IAM makes it unique: account plus name.

    IAM user and role names are unique within an account whatever their path, so
    `role/service/deployer` and `role/deployer` in one account are the same role.
    """

    kind: str  # "user" or "role"
    account: str
    name: str


def parse_arn(text: str) -> Arn | None:
    """Split `text` into its ARN parts, or return None when it is not an ARN."""
    parts = text.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or not parts[1] or not parts[2]:
        return None
    _, partition, service, region, account, resource = parts
    return Arn(partition, service, region, account, resource)


def iam_principal(text: str) -> Principal | None:
    """Return the user or role behind an IAM user, IAM role or STS session ARN.

    An STS `assumed-role/ROLE/SESSION` ARN names the role it was assumed from, so a
    session is reduced to that role; the session name is dropped.
    """
    arn = parse_arn(text)
    if arn is None:
        return None
    kind, _, rest = arn.resource.partition("/")
    if arn.service == "iam" and kind in ("user", "role") and rest:
        # The path, if any, sits between the kind and the final name.
        return Principal(kind, arn.account, rest.rsplit("/", 1)[-1])
    if arn.service == "sts" and kind == "assumed-role":
        role, _, session = rest.partition("/")
        if role and session:
            return Principal("role", arn.account, role)
    return None


def role_arn(partition: str, account: str, name: str) -> str:
    """Build the IAM ARN of role `name` in `account`, without a path."""
    return f"arn:{partition}:iam::{account}:role/{name}"


def user_arn(partition: str, account: str, name: str) -> str:
    """Build the IAM ARN of user `name` in `account`, without a path."""
    return f"arn:{partition}:iam::{account}:user/{name}"


def session_arn(partition: str, account: str, role: str, session: str) -> str:
    """Build the STS ARN a role session signs its calls with (as CloudTrail shows)."""
    return f"arn:{partition}:sts::{account}:assumed-role/{role}/{session}"
