"""What the identity touched: from logs, shown in the channel, fed to the plan."""

from __future__ import annotations

import gzip

import httpx

from bot.catalog import load_catalog
from bot.demo.stack import start_stack
from bot.slack import evidence_blocks
from storage import evidence, steps
from tests.conftest import CORPUS, REPO
from tests.e2e.conftest import EXAMPLE_CATALOG
from tests.e2e.helpers import buttons, only_incident

ALERT = (REPO / "bot" / "examples" / "guardduty-iam-access-key.json").read_bytes()
LOG = REPO / "bot" / "examples" / "cloudtrail-invoice-sync.json"

# The stolen instance-role credentials from Stratus Red Team's detonation log.
STRATUS_CATALOG = """
workloads:
  - name: ec2-credentials
    owner: U01AOWNER
    fallback_owner: U04DLEDGER
    approver: U03CAPPROV
    identities:
      - kind: aws_iam_role
        principal: >-
          arn:aws:iam::017622104382:role/stratus-red-team-ec2-steal-credentials-role
"""


def test_logs_read_at_opening_show_services_and_add_rotations(database_url) -> None:
    stack = start_stack(
        load_catalog(EXAMPLE_CATALOG),
        database_url=database_url,
        evidence_paths=(str(LOG),),
    )
    try:
        incident_id = stack.post_alert("guardduty", ALERT).json()["alerts"][0][
            "incident_id"
        ]
        stack.settle()
        incident = only_incident(stack, incident_id)

        loaded = evidence.latest(stack.app.ctx.engine, incident_id)
        assert loaded is not None and loaded.records == 20
        services = {s["service"]: s for s in loaded.summary["services"]}
        assert services["secretsmanager.amazonaws.com"]["secret_reads"] == 4
        assert services["iam.amazonaws.com"]["denied"] == 6
        assert loaded.summary["probing"] is True

        posted = [
            m
            for m in stack.emulator.messages_in(incident.channel_id)
            if m.get("text", "").startswith("What invoice-sync touched")
        ]
        assert len(posted) == 1
        assert buttons(posted[0]) == [evidence_blocks.SHOW_ALL_ACTION]

        # A secret the catalog does not give this workload, but the logs show it
        # read, becomes a rotation step naming the workload that owns it.
        planned = {s.key: s for s in steps.steps_of(stack.app.ctx.engine, incident_id)}
        extra = planned["aws.rotate_secret:invoice-sync:prod/ledger/db-password"]
        assert extra.spec["affects"] == ["ledger-reader"]

        stack.driver.click(
            "U01AOWNER",
            incident.channel_id,
            posted[0]["ts"],
            evidence_blocks.SHOW_ALL_ACTION,
        )
        stack.settle()
        modal = stack.emulator.views_for("U01AOWNER")[-1]
        text = str(modal["blocks"])
        assert "prod/ledger/db-password" in text and "GetSecretValue" in text
    finally:
        stack.close()


def test_a_log_is_attached_to_an_incident_over_http(make_stack) -> None:
    stack = make_stack(STRATUS_CATALOG)
    stack.driver.slash_command("U01AOWNER", "ec2-credentials")
    stack.settle()
    name = "aws.credential-access.ec2-steal-instance-credentials.json"
    body = gzip.compress((CORPUS / "cloudtrail" / name).read_bytes())
    url = f"{stack.server.url}/incidents/1/evidence?name=trail.json.gz"

    refused = httpx.post(url, content=body, headers={"Authorization": "Bearer no"})
    answer = httpx.post(
        url, content=body, headers={"Authorization": f"Bearer {stack.intake_secret}"}
    )
    missing = httpx.post(
        url.replace("/1/", "/99/"),
        content=body,
        headers={"Authorization": f"Bearer {stack.intake_secret}"},
    )
    stack.settle()

    assert refused.status_code == 401 and missing.status_code == 404
    assert answer.status_code == 200, answer.text
    loaded = evidence.latest(stack.app.ctx.engine, 1)
    assert loaded is not None and loaded.records == 45
    services = {s["service"]: s for s in loaded.summary["services"]}
    # The stolen role session calls from outside AWS, as GuardDuty would report.
    assert set(services) == {"sts.amazonaws.com", "ec2.amazonaws.com"}
    assert services["sts.amazonaws.com"]["operations"] == {"GetCallerIdentity": 1}
