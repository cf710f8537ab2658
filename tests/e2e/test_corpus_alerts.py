"""Real public alert files from ../shared/corpus, played through the running bot."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from bot.devtools.aws_seed import aws_state
from bot.slack import blocks
from storage import decisions, steps
from tests.conftest import CORPUS
from tests.e2e.helpers import (
    only_incident,
    page_of,
    statuses,
)

# GuardDuty's sample finding names its user with a placeholder; the catalog
# below claims that user so the sample exercises the owned path.
TOR_CALLER_CATALOG = """
workloads:
  - name: tor-caller
    owner: U01AOWNER
    fallback_owner: U04DLEDGER
    approver: U03CAPPROV
    teams: {security: S0SECOPS}
    identities:
      - kind: aws_iam_user
        principal: arn:aws:iam::883606788610:user/GeneratedFindingUserName
        access_key_ids: [AKIAGENERATEDFINDING1]
"""

# The OpenFaaS function from Falco's blog runs as a service account with pod-delete
# rights; here it also holds an AWS role (IRSA), so the plan spans both systems.
OPENFAAS_CATALOG = """
workloads:
  - name: falco-pod-delete
    owner: U06FRESPND
    fallback_owner: U01AOWNER
    approver: U03CAPPROV
    teams: {security: S0SECOPS}
    criticality: [agentic]
    identities:
      - kind: aws_iam_role
        principal: arn:aws:iam::123456789012:role/falco-pod-delete-irsa
      - kind: k8s_service_account
        principal: openfaas-fn/falco-pod-delete
    network:
      namespace: openfaas-fn
      pod_prefix: falco-pod-delete-
"""


def _approve(stack, incident_id: int) -> None:
    """A bystander is refused, then the commander double-clicks Approve."""
    incident = only_incident(stack, incident_id)
    channel, ts = incident.channel_id, incident.plan_ts
    stack.driver.click("U0ANALYST", channel, ts, blocks.APPROVE_ACTION)
    payload = stack.driver.click_payload(
        "U03CAPPROV", channel, ts, blocks.APPROVE_ACTION
    )
    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = list(pool.map(stack.driver.send_payload, [payload, payload]))
    stack.settle()

    assert [a.status_code for a in answers] == [200, 200]
    engine = stack.app.ctx.engine
    refusals = decisions.refusals_of(engine, incident_id)
    assert [(r.user_id, r.action) for r in refusals] == [("U0ANALYST", "approve")]
    assert decisions.decision_of(engine, incident_id).user_id == "U03CAPPROV"
    ran = [s for s in steps.steps_of(engine, incident_id) if s.status != "skipped"]
    assert ran and all(s.attempts == 1 for s in ran)


def test_guardduty_sample_finding_contains_the_user(make_stack) -> None:
    stack = make_stack(TOR_CALLER_CATALOG)
    body = (CORPUS / "guardduty" / "iam-duty-event.json").read_bytes()

    answer = stack.post_alert("guardduty", body)
    stack.settle()

    assert answer.status_code == 202
    incident_id = answer.json()["alerts"][0]["incident_id"]
    incident = only_incident(stack, incident_id)
    assert incident.workload == "tor-caller"
    assert (
        incident.title
        == "API GeneratedFindingAPIName was invoked from a Tor exit node."
    )
    assert page_of(stack, incident_id).target == "U01AOWNER"
    _approve(stack, incident_id)
    assert statuses(stack, incident_id) == {
        "aws.deactivate_access_keys": "succeeded",
        "webhook.stop_workload": "skipped",
    }
    state = aws_state(stack.catalog, endpoint_url=stack.moto_url)
    assert state["users"]["GeneratedFindingUserName"] == {
        "AKIAGENERATEDFINDING1": "Inactive"
    }


def test_falco_lines_open_an_owned_and_an_unowned_incident(make_stack) -> None:
    stack = make_stack(OPENFAAS_CATALOG)
    name = (
        "falco-website__falcosidekick-response-engine-part-2-openfass__L568-569.jsonl"
    )
    body = (CORPUS / "falco" / name).read_bytes()

    answer = stack.post_alert("falco", body)
    stack.settle()

    assert answer.status_code == 202
    shell, api_call = answer.json()["alerts"]
    assert shell["incident_id"] != api_call["incident_id"]

    # "Terminal shell in container" in default/alpine belongs to nobody: the
    # incident is unowned and security on-call is paged.
    unowned = only_incident(stack, shell["incident_id"])
    assert unowned.workload is None
    assert unowned.channel_name == f"contain-unowned-{unowned.id}"
    oncall = stack.workspace.usergroups[stack.workspace.security_oncall]
    paged = {p.target for p in decisions.pages_of(stack.app.ctx.engine, unowned.id)}
    assert paged == set(oncall)
    notices = [m["text"] for m in stack.emulator.messages_in(unowned.channel_id)]
    assert any("matched no workload" in text for text in notices)

    # The API-server contact matches the function's pod.
    owned = only_incident(stack, api_call["incident_id"])
    assert owned.workload == "falco-pod-delete"
    assert page_of(stack, owned.id).target == "U06FRESPND"
    _approve(stack, owned.id)

    # Both systems are contained: the role through AWS, the service account and
    # the pods through the Kubernetes API.
    assert statuses(stack, owned.id) == {
        "aws.revoke_role_sessions": "succeeded",
        "kubernetes.revoke_service_account_tokens": "succeeded",
        "kubernetes.isolate_network": "succeeded",
        "kubernetes.scale_to_zero": "skipped",
    }
    state = aws_state(stack.catalog, endpoint_url=stack.moto_url)
    assert state["roles"]["falco-pod-delete-irsa"] == [
        "containbot-revoke-older-sessions"
    ]
    cluster = stack.kubernetes_state()["falco-pod-delete"]
    assert cluster["network_policies"] == ["containbot-isolate-falco-pod-delete"]
    assert cluster["token_secrets"] == [] and cluster["role_bindings"] == []
    assert len(cluster["quarantined_pods"]) == 2
    assert only_incident(stack, owned.id).status == "contained"
