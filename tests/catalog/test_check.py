"""`check_catalog`: each rule alone, the 90-day boundary, and the example catalog."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.catalog import load_catalog, parse_catalog
from bot.catalog.check import (
    LONG_LIVED,
    NHI_TITLES,
    Finding,
    check_catalog,
    has_errors,
    render_json,
    render_text,
)
from bot.catalog.model import Catalog, Identity, Secret, Workload

EXAMPLE = Path(__file__).parents[2] / "bot" / "examples" / "catalog.yml"
NOW = datetime(2025, 6, 1, tzinfo=UTC)


def _role(name: str, **fields: Any) -> Identity:
    principal = f"arn:aws:iam::123456789012:role/{name}"
    return Identity(kind="aws_iam_role", principal=principal, **fields)


def _workload(name: str = "web", **fields: Any) -> Workload:
    """Build a workload that passes every rule unless `fields` breaks one."""
    base: dict[str, Any] = {
        "name": name,
        "owner": "U01OWNER",
        "fallback_owner": "U02BACKUP",
        "approver": "U03APPROVE",
        "fallback_approver": "U04DEPUTY",
        "identities": [_role(name)],
    }
    return Workload(**(base | fields))


def _check(*workloads: Workload, now: datetime = NOW) -> list[Finding]:
    return check_catalog(Catalog(workloads=workloads), now=now)


def _keys(*workloads: Workload, now: datetime = NOW) -> set[tuple[Any, ...]]:
    return {(f.workload, f.code, f.nhi) for f in _check(*workloads, now=now)}


def test_example_catalog_findings() -> None:
    findings = check_catalog(load_catalog(EXAMPLE), now=NOW)

    assert {(f.workload, f.code, f.nhi) for f in findings} == {
        ("invoice-sync", "static-credential", "NHI7"),
        ("invoice-sync", "secret-rotation-overdue", "NHI7"),
        ("invoice-sync", "secret-shared", "NHI9"),
        ("ledger-reader", "identity-shared", "NHI9"),
        ("ledger-reader", "secret-shared", "NHI9"),
        ("checkout-api", "long-lived-credential", "NHI7"),
        ("falco-pod-delete", "no-fallback", None),
        ("falco-pod-delete", "no-fallback-approver", None),
        ("falco-pod-delete", "overbroad-scope", "NHI5"),
        ("legacy-reporter", "no-owner", None),
        ("legacy-reporter", "no-fallback", None),
        ("legacy-reporter", "no-approver", None),
        ("legacy-reporter", "static-credential", "NHI7"),
        ("legacy-reporter", "orphaned-identity", "NHI1"),
        ("legacy-reporter", "identity-shared", "NHI9"),
    }
    assert len(findings) == 15
    assert has_errors(findings)


def test_findings_follow_catalog_order_errors_first() -> None:
    findings = check_catalog(load_catalog(EXAMPLE), now=NOW)

    workloads = list(dict.fromkeys(f.workload for f in findings))
    assert workloads == [
        "invoice-sync",
        "ledger-reader",
        "checkout-api",
        "falco-pod-delete",
        "legacy-reporter",
    ]
    legacy = [f.severity for f in findings if f.workload == "legacy-reporter"]
    assert legacy == ["error"] * 4 + ["warning"] * 2


def test_complete_workload_has_no_findings() -> None:
    findings = _check(_workload())

    assert findings == []
    assert not has_errors(findings)


def test_no_owner() -> None:
    assert _keys(_workload(owner=None)) == {("web", "no-owner", None)}


def test_no_fallback_owner() -> None:
    assert _keys(_workload(fallback_owner=None)) == {("web", "no-fallback", None)}


def test_fallback_same_as_owner_is_a_warning() -> None:
    findings = _check(_workload(fallback_owner="U01OWNER"))

    assert [(f.code, f.severity) for f in findings] == [
        ("fallback-is-owner", "warning")
    ]


def test_no_approver() -> None:
    assert _keys(_workload(approver=None)) == {("web", "no-approver", None)}


def test_agent_with_tool_grants_and_no_approver() -> None:
    agent = _workload(
        approver=None, criticality=["agentic"], tool_grants=["github:write"]
    )

    findings = _check(agent)

    assert [(f.code, f.severity) for f in findings] == [
        ("agent-without-approver", "error")
    ]
    assert "github:write" in findings[0].message


def test_no_identities_is_a_warning() -> None:
    findings = _check(_workload(identities=[]))

    assert [(f.code, f.severity, f.nhi) for f in findings] == [
        ("no-identities", "warning", None)
    ]
    assert not has_errors(findings)


def test_unowned_workload_with_identities_is_improper_offboarding() -> None:
    orphan = _workload(owner=None, fallback_owner=None)

    assert _keys(orphan) == {
        ("web", "no-owner", None),
        ("web", "no-fallback", None),
        ("web", "orphaned-identity", "NHI1"),
    }


def test_unowned_workload_without_identities_is_not_offboarding() -> None:
    empty = _workload(owner=None, fallback_owner=None, identities=[])

    assert ("web", "orphaned-identity", "NHI1") not in _keys(empty)


def test_static_identity_is_an_error() -> None:
    findings = _check(_workload(identities=[_role("web", static=True)]))

    assert [(f.code, f.severity, f.nhi, f.subject) for f in findings] == [
        ("static-credential", "error", "NHI7", "arn:aws:iam::123456789012:role/web")
    ]


@pytest.mark.parametrize(
    ("age", "flagged"),
    [
        (LONG_LIVED - timedelta(seconds=1), False),
        (LONG_LIVED, False),
        (LONG_LIVED + timedelta(seconds=1), True),
    ],
)
def test_issued_without_expiry_boundary(age: timedelta, flagged: bool) -> None:
    workload = _workload(identities=[_role("web", issued_at=NOW - age)])

    found = ("web", "long-lived-credential", "NHI7") in _keys(workload)

    assert found is flagged


@pytest.mark.parametrize(
    ("left", "flagged"),
    [
        (LONG_LIVED, False),
        (LONG_LIVED + timedelta(seconds=1), True),
        (timedelta(days=365), True),
    ],
)
def test_expiry_boundary(left: timedelta, flagged: bool) -> None:
    workload = _workload(identities=[_role("web", expires_at=NOW + left)])

    found = ("web", "long-lived-credential", "NHI7") in _keys(workload)

    assert found is flagged


def test_old_identity_with_near_expiry_is_not_long_lived() -> None:
    identity = _role(
        "web", issued_at=NOW - timedelta(days=400), expires_at=NOW + timedelta(days=1)
    )

    assert _check(_workload(identities=[identity])) == []


def test_boundary_moves_with_injected_now() -> None:
    issued = datetime(2025, 1, 1, tzinfo=UTC)
    workload = _workload(identities=[_role("web", issued_at=issued)])

    assert _check(workload, now=issued + timedelta(days=90)) == []
    assert _keys(workload, now=issued + timedelta(days=91)) == {
        ("web", "long-lived-credential", "NHI7")
    }


def test_dates_without_zone_are_read_as_utc() -> None:
    naive = datetime(2025, 1, 1)
    workload = _workload(identities=[_role("web", issued_at=naive)])

    assert _check(workload, now=datetime(2025, 3, 1)) == []
    assert len(_check(workload, now=NOW)) == 1


@pytest.mark.parametrize(
    "scope",
    [
        "*",
        "s3:*",
        "AdministratorAccess",
        "arn:aws:iam::aws:policy/AdministratorAccess",
        "cluster-admin",
        "delete pods cluster-wide",
    ],
)
def test_overbroad_scope(scope: str) -> None:
    identity = _role("web", scopes=["s3:GetObject", scope])

    findings = _check(_workload(identities=[identity]))

    assert [(f.code, f.severity, f.nhi) for f in findings] == [
        ("overbroad-scope", "warning", "NHI5")
    ]
    assert scope in findings[0].message
    assert "s3:GetObject" not in findings[0].message


def test_narrow_scopes_pass() -> None:
    identity = _role("web", scopes=["s3:GetObject", "get pods in shop"])

    assert _check(_workload(identities=[identity])) == []


def test_secret_never_rotated() -> None:
    secret = Secret(kind="vault_kv", name="kv/web/db")

    assert _keys(_workload(secrets=[secret])) == {
        ("web", "secret-never-rotated", "NHI7")
    }


@pytest.mark.parametrize(
    ("rotation_days", "age_days", "flagged"),
    [(30, 30, False), (30, 31, True), (None, 90, False), (None, 91, True)],
)
def test_secret_rotation_period(
    rotation_days: int | None, age_days: int, flagged: bool
) -> None:
    secret = Secret(
        kind="k8s_secret",
        name="shop/db",
        rotation_days=rotation_days,
        last_rotated=NOW - timedelta(days=age_days),
    )

    found = ("web", "secret-rotation-overdue", "NHI7") in _keys(
        _workload(secrets=[secret])
    )

    assert found is flagged


def test_identity_shared_is_reported_on_both_sides() -> None:
    key = Identity(kind="api_key", principal="partner-key", shared_with=["b"])

    findings = _check(_workload("a", identities=[key]), _workload("b"))

    assert {(f.workload, f.code, f.nhi, f.subject) for f in findings} == {
        ("a", "identity-shared", "NHI9", "partner-key"),
        ("b", "identity-shared", "NHI9", "partner-key"),
    }
    assert all(f.severity == "warning" for f in findings)


def test_secret_shared_declared_by_the_other_side() -> None:
    secret = Secret(
        kind="aws_secretsmanager",
        name="prod/api-key",
        last_rotated=NOW,
        shared_with=["a"],
    )

    keys = _keys(_workload("a"), _workload("b", secrets=[secret]))

    assert keys == {("a", "secret-shared", "NHI9"), ("b", "secret-shared", "NHI9")}


def test_same_principal_in_two_workloads_is_reuse_without_declaration() -> None:
    shared = _role("common")
    a, b = _workload("a", identities=[shared]), _workload("b", identities=[shared])

    keys = _keys(a, b)

    assert keys == {("a", "identity-shared", "NHI9"), ("b", "identity-shared", "NHI9")}


def test_both_sides_declaring_gives_one_finding_each() -> None:
    a_key = Identity(kind="api_key", principal="k", shared_with=["b"])
    b_key = Identity(kind="api_key", principal="k", shared_with=["a"])

    findings = _check(
        _workload("a", identities=[a_key]), _workload("b", identities=[b_key])
    )

    assert sorted(f.workload for f in findings) == ["a", "b"]


def test_shared_with_unknown_workload_is_an_error() -> None:
    key = Identity(kind="api_key", principal="partner-key", shared_with=["ghost"])

    findings = _check(_workload(identities=[key]))

    assert [(f.code, f.severity, f.nhi) for f in findings] == [
        ("shared-with-unknown", "error", None)
    ]
    assert "'ghost'" in findings[0].message


def test_secret_shared_with_unknown_workload_is_an_error() -> None:
    secret = Secret(
        kind="k8s_secret", name="shop/db", last_rotated=NOW, shared_with=["ghost"]
    )

    assert _keys(_workload(secrets=[secret])) == {("web", "shared-with-unknown", None)}


def test_own_name_in_shared_with_is_not_reuse() -> None:
    key = Identity(kind="api_key", principal="k", shared_with=["web"])

    assert _check(_workload(identities=[key])) == []


def test_nhi_titles_match_owasp_2025() -> None:
    assert list(NHI_TITLES) == [f"NHI{i}" for i in range(1, 11)]
    assert NHI_TITLES["NHI1"] == "Improper Offboarding"
    assert NHI_TITLES["NHI5"] == "Overprivileged NHI"
    assert NHI_TITLES["NHI7"] == "Long-Lived Secrets"
    assert NHI_TITLES["NHI9"] == "NHI Reuse"


def test_every_nhi_in_findings_has_a_title() -> None:
    findings = check_catalog(load_catalog(EXAMPLE), now=NOW)

    assert {f.nhi for f in findings if f.nhi} <= set(NHI_TITLES)


def test_render_text_groups_by_workload_with_summary() -> None:
    findings = check_catalog(load_catalog(EXAMPLE), now=NOW)

    lines = render_text(findings).splitlines()

    assert lines[0] == "invoice-sync"
    assert "legacy-reporter" in lines
    assert (
        "  error    NHI7   identity reporting-partner-key is static, issued "
        "2021-06-01; replace it with a short-lived credential [static-credential]"
    ) in lines
    assert any(line.startswith("  error    -      no owner") for line in lines)
    assert lines[-1] == "6 errors, 9 warnings in 5 workloads"


def test_render_text_without_findings() -> None:
    assert render_text([]) == "no findings"


def test_render_text_singular_counts() -> None:
    text = render_text(_check(_workload(owner=None)))

    assert text.splitlines()[-1] == "1 error, 0 warnings in 1 workload"


def test_render_json_carries_titles() -> None:
    secret = Secret(kind="vault_kv", name="kv/web/db")

    rows = render_json(_check(_workload(approver=None, secrets=[secret])))

    assert rows == [
        {
            "workload": "web",
            "severity": "error",
            "code": "no-approver",
            "message": "no containment approver is named",
            "nhi": None,
            "subject": None,
            "nhi_title": None,
        },
        {
            "workload": "web",
            "severity": "warning",
            "code": "secret-never-rotated",
            "message": "secret kv/web/db has never been rotated",
            "nhi": "NHI7",
            "subject": "kv/web/db",
            "nhi_title": "Long-Lived Secrets",
        },
    ]


def test_missing_fallback_approver_is_a_warning() -> None:
    assert _keys(_workload(fallback_approver=None)) == {
        ("web", "no-fallback-approver", None)
    }


def test_owner_approving_their_own_containment_is_flagged() -> None:
    catalog = parse_catalog(
        """
workloads:
  - name: solo
    owner: U1OWNER
    fallback_owner: U2OTHER
    approver: U1OWNER
    identities:
      - kind: api_key
        principal: solo-key
        expires_at: 2030-01-01T00:00:00Z
"""
    )
    codes = {f.code for f in check_catalog(catalog, now=NOW)}
    assert "approver-is-owner" in codes
