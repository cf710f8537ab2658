"""The emulated workspace's people, derived from whatever catalog is played."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from bot.catalog.model import Catalog
from bot.devtools.slack_emulator import EmulatedUser

# Given names for the demo's people, handed out in catalog order so that a
# transcript reads as people talking rather than as member ids.
_GIVEN_NAMES = (
    "Ana",
    "Bo",
    "Cam",
    "Eli",
    "Fay",
    "Gus",
    "Hal",
    "Ivy",
    "Jo",
    "Kit",
    "Lu",
)

# Someone in the security team who is not any workload's approver: the person
# who tries to approve and must be refused.
ANALYST = EmulatedUser("U0ANALYST", "dee", "Dee", "dee@example.com")


@dataclass(frozen=True)
class Workspace:
    users: tuple[EmulatedUser, ...]
    usergroups: dict[str, list[str]]
    security_oncall: str


def workspace_for(catalog: Catalog) -> Workspace:
    """Create a user for every person and a member for every team in `catalog`."""
    users: dict[str, EmulatedUser] = {ANALYST.id: ANALYST}
    groups: dict[str, list[str]] = {}
    for workload in catalog.workloads:
        for role in ("owner", "fallback_owner", "approver", "fallback_approver"):
            person = getattr(workload, role)
            if person and _user_id(person) not in users:
                given = _GIVEN_NAMES[(len(users) - 1) % len(_GIVEN_NAMES)]
                user = _user(person, given)
                users[user.id] = user
        teams = workload.teams
        for kind, team in (
            ("security", teams.security),
            ("platform", teams.platform),
            ("identity", teams.identity),
        ):
            if team and team.startswith("S") and team not in groups:
                member = _user(f"U{team[1:]}", f"{kind.title()} engineer")
                users.setdefault(member.id, member)
                groups[team] = [member.id]
    security = next((t for w in catalog.workloads if (t := w.teams.security)), None)
    if security is None or security not in groups:
        security = "S0SECONCALL"
    groups.setdefault(security, [])
    if ANALYST.id not in groups[security]:
        groups[security].append(ANALYST.id)
    return Workspace(tuple(users.values()), groups, security)


def _user_id(person: str) -> str:
    if "@" in person:
        return "U" + hashlib.sha256(person.encode()).hexdigest()[:8].upper()
    return person


def _user(person: str, given: str) -> EmulatedUser:
    # Names only: one person can be the owner of one workload and the approver of
    # another, so the transcript says the role where it matters.
    handle = given.lower().replace(" ", "-")
    email = person if "@" in person else f"{handle}@example.com"
    return EmulatedUser(_user_id(person), handle, given, email)
