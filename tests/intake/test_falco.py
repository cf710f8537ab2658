"""Falco events: json_output and falcosidekick payloads, every corpus file."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from bot.errors import AlertRejected
from bot.intake.model import KeyKind
from tests.intake.helpers import NOW, keys, parse_as

REPO = Path(__file__).parents[2]
CORPUS = REPO.parent / "shared" / "corpus" / "falco"
EXAMPLE = REPO / "bot" / "examples" / "falco-k8s-api-from-checkout.json"
OVH = (
    "falco-website__detect-threats-falco-ovh-mks-audit-logs-plugin__L168-170_L212.jsonl"
)
EKS = "falco-website__falco-plugin-k8saudit-eks__L360-361.jsonl"
OPENFAAS = (
    "falco-website__falcosidekick-response-engine-part-2-openfass__L568-569.jsonl"
)
ISSUE = "github-issue__falcosecurity-falco-1784__alert.jsonl"

K = KeyKind

# Every file parsed whole, with the keys of each alert it yields, in order.
# logs.txt is not here: it is refused whole (see test_mixed_log_file_*).
CORPUS_KEYS: dict[str, list[list[tuple[KeyKind, str]]]] = {
    # k8s_audit: users that are no service accounts give no key; an exec into a
    # pod names the pod it lands in.
    OVH: [
        [],
        [],
        [],
        [
            (K.K8S_POD, "hello-app/nginx-676b6c5bbc-4xc6t"),
            (K.K8S_NAMESPACE, "hello-app"),
        ],
    ],
    EKS: [
        [(K.K8S_NAMESPACE, "default")],
        [(K.K8S_POD, "default/kubecon"), (K.K8S_NAMESPACE, "default")],
    ],
    OPENFAAS: [
        [(K.K8S_POD, "default/alpine"), (K.K8S_NAMESPACE, "default")],
        [
            (K.K8S_POD, "openfaas-fn/falco-pod-delete-7dc9f5fbb8-gbfk7"),
            (K.K8S_NAMESPACE, "openfaas-fn"),
        ],
    ],
    # Every output field is an unexpanded placeholder: the event is real in shape
    # (rule, priority, time, uuid) and carries no identity at all.
    "falco.raw": [[]],
    # The kubelet created a token for monitoring/prometheus-cloudwatch-exporter;
    # the caller is a node, so only the target namespace is a key.
    ISSUE: [[(K.K8S_NAMESPACE, "monitoring")]],
    # Falco's own regression test: a test rule with no container or k8s fields.
    "single_rule_with_cat_write.json": [[]] * 8,
}
REFUSED = {"logs.txt"}


parse = partial(parse_as, "falco")


def reason(body: bytes | dict[str, Any] | list[Any]) -> str:
    with pytest.raises(AlertRejected) as caught:
        parse(body)
    return caught.value.reason


def test_corpus_expectations_cover_every_file() -> None:
    assert sorted(p.name for p in CORPUS.iterdir()) == sorted([*CORPUS_KEYS, *REFUSED])


@pytest.mark.parametrize("name", sorted(CORPUS_KEYS))
def test_corpus_file_yields_exact_keys(name: str) -> None:
    alerts = parse((CORPUS / name).read_bytes())

    assert [keys(alert) for alert in alerts] == CORPUS_KEYS[name]
    assert all(alert.source == "falco" for alert in alerts)


def test_openfaas_events_fields() -> None:
    shell, api = parse((CORPUS / OPENFAAS).read_bytes())

    assert (shell.title, shell.severity) == ("Terminal shell in container", "low")
    assert api.title == "Contact K8S API Server From Container"
    assert api.detected_at == datetime(2021, 4, 10, 19, 27, 21, 38853, tzinfo=UTC)
    assert api.summary.startswith("Notice Unexpected connection to K8s API Server")
    assert api.external_id is None
    assert api.details == {
        "rule": "Contact K8S API Server From Container",
        "priority": "Notice",
        "image": "devopps/falco-pod-delete:latest",
        "container": "12fc4de5ccc3",
        "connection": "172.17.0.9:43812->10.96.0.1:443",
    }


def test_k8s_audit_events_show_the_user_and_target() -> None:
    alerts = parse((CORPUS / OVH).read_bytes())

    assert [a.severity for a in alerts] == ["medium", "medium", "medium", "low"]
    assert alerts[0].details["k8s_user"] == "csi-cinder-controller"
    assert alerts[1].details["k8s_target"] == "events/my-pool-1.18051c0a88716868"
    assert alerts[3].details["k8s_user"] == "kubernetes-admin"
    (issue,) = parse((CORPUS / ISSUE).read_bytes())
    assert issue.details["k8s_target"] == "prometheus-cloudwatch-exporter"


def test_placeholder_fields_are_ignored_and_listed() -> None:
    (alert,) = parse((CORPUS / "falco.raw").read_bytes())

    assert alert.external_id == "ec834826-90c1-458a-8eec-a014e7266754"
    assert alert.severity == "medium"
    assert "user" not in alert.details and "image" not in alert.details
    assert alert.details["ignored_placeholders"] == (
        "container.image.repository, container.image.tag, container.info, "
        "proc.args, proc.pname, user.loginuid, user.name"
    )


def test_mixed_log_file_is_refused_whole() -> None:
    # A LaTeX report chapter: "%" comment headers, handler log lines, Tracee
    # events and hand-written illustrations around three real Falco lines. An
    # HTTP delivery like this is a mistake at the sender, so it is refused.
    body = (CORPUS / "logs.txt").read_bytes()

    assert reason(body) == (
        "body is not JSON: Expecting value at line 1, column 1 (character 0)"
    )


def test_mixed_log_file_real_falco_lines_parse_one_by_one() -> None:
    lines = (CORPUS / "logs.txt").read_text().splitlines()
    falco_lines = [line for line in lines if line.startswith('{"hostname"')]

    alerts = [parse(line.encode())[0] for line in falco_lines]

    # k8s.ns.name/k8s.pod.name are null there; the kubelet's Docker container
    # name k8s_zipapp_zipapp-5485c4dc48-cv67x_default_… still names the pod.
    pod = [
        (K.K8S_POD, "default/zipapp-5485c4dc48-cv67x"),
        (K.K8S_NAMESPACE, "default"),
    ]
    assert [keys(a) for a in alerts] == [pod, pod, pod]
    assert [a.title for a in alerts] == [
        "Drop and execute new binary in container",
        "PTRACE anti-debug attempt",
        "Redirect STDOUT/STDIN to Network Connection in Container",
    ]
    assert [a.severity for a in alerts] == ["critical", "low", "low"]
    assert alerts[2].details["connection"] == "10.244.1.93:52966->18.158.58.205:19023"


def test_mixed_log_file_tracee_lines_are_not_falco_events() -> None:
    lines = (CORPUS / "logs.txt").read_text().splitlines()
    tracee = [line for line in lines if line.startswith('{"timestamp"')]

    assert len(tracee) == 3
    for line in tracee:
        assert reason(line.encode()) == (
            "body: Falco event is missing rule, priority, output"
        )


def test_example_is_a_falcosidekick_payload_for_checkout() -> None:
    (alert,) = parse(EXAMPLE.read_bytes())

    assert keys(alert) == [
        (K.K8S_POD, "shop/checkout-7d9f8b6c5d-x2x9q"),
        (K.K8S_NAMESPACE, "shop"),
    ]
    assert alert.external_id == "3f1c9a7e-5b2d-4c8e-9f06-1d7a4e2b8c53"
    assert alert.detected_at == datetime(2026, 12, 3, 14, 21, 9, 417305, tzinfo=UTC)
    assert alert.details["image"] == "registry.example.com/shop/checkout:2.14.3"
    assert alert.details["user"] == "app"
    assert alert.details["process"] == "python3"
    assert alert.details["falco_source"] == "syscall"
    # Command lines can carry credentials; they stay out of the details.
    assert "python3 /tmp/.cache/k.py" not in alert.details.values()


def event(**changes: Any) -> dict[str, Any]:
    base = json.loads(EXAMPLE.read_text())
    base.update(changes)
    return base


def test_service_account_user_in_k8s_audit_event() -> None:
    audit = event(
        source="k8s_audit",
        output_fields={
            "ka.user.name": "system:serviceaccount:openfaas-fn:falco-pod-delete",
            "ka.verb": "delete",
            "ka.target.resource": "pods",
            "ka.target.name": "checkout-7d9f8b6c5d-x2x9q",
            "ka.target.namespace": "shop",
        },
    )

    (alert,) = parse(audit)

    assert keys(alert) == [
        (K.K8S_SERVICE_ACCOUNT, "openfaas-fn/falco-pod-delete"),
        (K.K8S_POD, "shop/checkout-7d9f8b6c5d-x2x9q"),
        (K.K8S_NAMESPACE, "shop"),
    ]
    assert "k8s_user" not in alert.details


@pytest.mark.parametrize(
    ("priority", "severity"),
    [
        ("Emergency", "critical"),
        ("Alert", "critical"),
        ("Critical", "critical"),
        ("Error", "high"),
        ("Warning", "medium"),
        ("Notice", "low"),
        ("Informational", "low"),
        ("Debug", "low"),
        ("warning", "medium"),
    ],
)
def test_priority_maps_to_severity(priority: str, severity: str) -> None:
    assert parse(event(priority=priority))[0].severity == severity


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-03T14:21:09.417305822Z", datetime(2026, 12, 3, 14, 21, 9, 417305)),
        ("2026-12-03T14:21:09Z", datetime(2026, 12, 3, 14, 21, 9)),
        ("2026-12-03T15:21:09.4+01:00", datetime(2026, 12, 3, 14, 21, 9, 400000)),
        ("2026-12-03T14:21:09.417305822", datetime(2026, 12, 3, 14, 21, 9, 417305)),
    ],
)
def test_time_parsing(text: str, expected: datetime) -> None:
    assert parse(event(time=text))[0].detected_at == expected.replace(tzinfo=UTC)


def test_time_falls_back_to_evt_time_then_receipt() -> None:
    without_time = event()
    del without_time["time"]
    assert parse(without_time)[0].detected_at == datetime(
        2026, 12, 3, 14, 21, 9, 417305, tzinfo=UTC
    )

    del without_time["output_fields"]["evt.time"]
    (alert,) = parse(without_time)
    assert alert.detected_at == NOW
    assert alert.details["time"] == "received"


def test_null_and_na_fields_are_ignored() -> None:
    fields = {"k8s.ns.name": None, "k8s.pod.name": "<NA>", "container.id": "host"}

    (alert,) = parse(event(output_fields=fields))

    assert alert.keys == ()
    assert alert.details["container"] == "host"


def test_list_of_events_is_accepted() -> None:
    alerts = parse([event(), event(rule="Terminal shell in container")])

    assert [a.title for a in alerts] == [
        "Contact K8S API Server From Container",
        "Terminal shell in container",
    ]


def test_refusals_name_the_problem() -> None:
    assert reason(event(priority="Urgent")) == (
        "body: priority 'Urgent' is not a Falco priority (Emergency, Alert, "
        "Critical, Error, Warning, Notice, Informational or Debug)"
    )
    assert reason(event(time="03/12/2026")) == (
        "body: time '03/12/2026' is not an RFC 3339 time"
    )
    assert reason(event(output_fields=["k8s.ns.name"])) == (
        "body: output_fields must be a JSON object"
    )
    assert reason([event(), "x"]) == (
        "body, item 2 is not a JSON object; expected a Falco event"
    )
    body = f"{json.dumps(event())}\n{json.dumps(event(rule=None))}\n".encode()
    assert reason(body) == "line 2: Falco event is missing rule"
