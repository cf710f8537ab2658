"""ARN parsing: users and roles reduce to account and name, sessions to their role."""

from __future__ import annotations

import pytest

from bot.intake.arn import (
    Principal,
    iam_principal,
    parse_arn,
    role_arn,
    session_arn,
    user_arn,
)


def test_parse_arn_keeps_colons_in_the_resource() -> None:
    arn = parse_arn("arn:aws:guardduty:us-east-1:123456789012:detector/d1/finding/f1")

    assert arn is not None
    assert (arn.partition, arn.service, arn.region, arn.account) == (
        "aws",
        "guardduty",
        "us-east-1",
        "123456789012",
    )
    assert arn.resource == "detector/d1/finding/f1"
    assert parse_arn("arn:aws:logs:eu-west-1:1:log-group:a:b").resource == (
        "log-group:a:b"
    )


@pytest.mark.parametrize(
    "text", ["", "not an arn", "arn:aws:iam::123", "urn:aws:iam::1:user/x"]
)
def test_parse_arn_refuses_what_is_not_an_arn(text: str) -> None:
    assert parse_arn(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "arn:aws:iam::123456789012:user/invoice-sync",
            Principal("user", "123456789012", "invoice-sync"),
        ),
        (
            "arn:aws:iam::123456789012:user/division/team/invoice-sync",
            Principal("user", "123456789012", "invoice-sync"),
        ),
        (
            "arn:aws:iam::123456789012:role/ledger-reader",
            Principal("role", "123456789012", "ledger-reader"),
        ),
        (
            "arn:aws:iam::123456789012:role/service/deployer",
            Principal("role", "123456789012", "deployer"),
        ),
        (
            "arn:aws:sts::123456789012:assumed-role/deployer/i-0abc1234def567890",
            Principal("role", "123456789012", "deployer"),
        ),
        (
            "arn:aws-us-gov:sts::123456789012:assumed-role/deployer/build-42",
            Principal("role", "123456789012", "deployer"),
        ),
    ],
)
def test_iam_principal_reduces_to_account_and_name(
    text: str, expected: Principal
) -> None:
    assert iam_principal(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "arn:aws:iam::123456789012:instance-profile/buildserver_profile",
        "arn:aws:sts::123456789012:assumed-role/no-session",
        "arn:aws:sts::123456789012:federated-user/stratus_red_team",
        "arn:aws:s3:::bucketName",
        "arn:aws:iam::123456789012:role/",
    ],
)
def test_iam_principal_ignores_other_resources(text: str) -> None:
    assert iam_principal(text) is None


def test_builders_write_pathless_arns() -> None:
    assert user_arn("aws", "1", "u") == "arn:aws:iam::1:user/u"
    assert role_arn("aws", "1", "r") == "arn:aws:iam::1:role/r"
    assert session_arn("aws", "1", "r", "s") == "arn:aws:sts::1:assumed-role/r/s"
