"""Readers: every layout, gzip, folders and S3, in bounded memory, without crashing."""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path
from typing import Any

import pytest

from bot.evidence import EvidenceError, load_evidence
from bot.evidence.jsonstream import BadJson, JsonValues
from tests.conftest import CORPUS
from tests.moto_server import aws_session, moto_endpoint, moto_server  # noqa: F401

STEAL = (
    CORPUS / "cloudtrail" / "aws.credential-access.ec2-steal-instance-credentials.json"
)


def _events() -> list[dict[str, Any]]:
    return json.loads(STEAL.read_text())


def _services(path: Path | str) -> dict[str, int]:
    report = load_evidence([str(path)], None)
    found: dict[str, int] = {}
    for summary in report.summaries.values():
        for service, touch in summary.services.items():
            found[service] = found.get(service, 0) + touch.calls
    return found


EXPECTED = {"ssm.amazonaws.com": 43, "sts.amazonaws.com": 1, "ec2.amazonaws.com": 1}


@pytest.mark.parametrize("layout", ["records", "array", "lines", "eventbridge"])
@pytest.mark.parametrize("compress", [False, True])
def test_layouts_plain_and_gzip(tmp_path: Path, layout: str, compress: bool) -> None:
    events = _events()
    if layout == "records":
        text = json.dumps({"Records": events}, indent=1)
    elif layout == "array":
        text = json.dumps(events)
    elif layout == "lines":
        text = "\n".join(json.dumps(e) for e in events) + "\n"
    else:
        wrapped = [
            {
                "detail-type": "AWS API Call via CloudTrail",
                "source": "aws.ec2",
                "detail": e,
            }
            for e in events
        ]
        text = "\n".join(json.dumps(e) for e in wrapped)
    path = tmp_path / "log.json.gz"
    path.write_bytes(gzip.compress(text.encode()) if compress else text.encode())

    assert _services(path) == EXPECTED


def test_records_are_decoded_from_small_chunks() -> None:
    text = json.dumps({"Records": _events()}, indent=2)
    # A 97-character window forces every record to span several buffer refills.
    values = JsonValues(io.StringIO(text), chunk_chars=97)

    decoded = list(values)

    assert values.shape == "records"
    assert decoded == _events()


def test_json_lines_keep_going_after_a_broken_line() -> None:
    text = '{"a": 1}\n{"b": \n{"c": 3}\n42\n'
    values = list(JsonValues(io.StringIO(text), chunk_chars=4))

    assert values[0] == {"a": 1}
    assert isinstance(values[1], BadJson)
    assert values[2:] == [{"c": 3}, 42]


def test_logstash_timestamp_and_odd_values_do_not_crash(tmp_path: Path) -> None:
    odd = [
        {
            "@timestamp": "2020-09-14T01:19:40.000Z",
            "eventSource": "s3.amazonaws.com",
            "eventName": "GetObject",
            "sourceIPAddress": "1.2.3.4",
            "userIdentity": {
                "type": "AssumedRole",
                "arn": "arn:aws:sts::1:assumed-role/R/i-0317f6c6b66ae9c40",
                "accessKeyId": "ASIA5FLZVX4OPVKKVBMX",
            },
            "requestParameters": {"bucketName": "b", "key": "ring.txt"},
        },
        {
            "eventTime": "not a time",
            "eventSource": 7,
            "eventName": None,
            "userIdentity": "anonymous",
            "requestParameters": ["x"],
        },
        {
            "eventTime": None,
            "eventSource": "ec2.amazonaws.com",
            "eventName": "X",
            "userIdentity": {"type": "AWSService", "invokedBy": "ec2.amazonaws.com"},
            "errorCode": 403,
        },
        {"nothing": "known"},
        [1, 2],
    ]
    path = tmp_path / "odd.jsonl"
    path.write_text("\n".join(json.dumps(o) for o in odd))

    report = load_evidence([str(path)], None)

    assert report.records == 3
    assert report.sources[0].skipped == 2
    role = report.summaries["arn:aws:iam::1:role/R"]
    s3 = role.services["s3.amazonaws.com"]
    assert s3.data_reads == 1
    assert s3.read_names == {"b/ring.txt": "data"}
    assert role.first_seen is not None and role.first_seen.year == 2020
    assert "service ec2.amazonaws.com" in report.summaries
    assert (
        report.summaries["service ec2.amazonaws.com"]
        .services["ec2.amazonaws.com"]
        .denied
        == 1
    )


def test_folder_is_read_recursively(tmp_path: Path) -> None:
    nested = tmp_path / "AWSLogs" / "017622104382" / "CloudTrail"
    nested.mkdir(parents=True)
    events = _events()
    (nested / "a.json.gz").write_bytes(
        gzip.compress(json.dumps({"Records": events[:20]}).encode())
    )
    (tmp_path / "b.json").write_text(json.dumps({"Records": events[20:]}))

    report = load_evidence([str(tmp_path)], None)

    assert len(report.sources) == 2
    assert report.records == 45


def test_missing_path_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(EvidenceError, match="no such file or folder"):
        load_evidence([str(tmp_path / "absent")], None)


def test_progress_reports_the_record_count() -> None:
    seen: list[int] = []

    load_evidence([str(STEAL)], None, progress=seen.append)

    assert seen == [45]


def test_s3_prefix_is_listed_and_streamed(moto_endpoint: str) -> None:  # noqa: F811
    client = aws_session().client("s3", endpoint_url=moto_endpoint)
    client.create_bucket(Bucket="trail")
    events = _events()
    prefix = "AWSLogs/017622104382/CloudTrail/us-east-1/2024/08/02/"
    # Three pages of one object each exercise the paginator.
    for i in range(3):
        body = gzip.compress(
            json.dumps({"Records": events[i * 15 : i * 15 + 15]}).encode()
        )
        client.put_object(Bucket="trail", Key=f"{prefix}{i}.json.gz", Body=body)
    client.put_object(Bucket="trail", Key="elsewhere/x.json", Body=b"{}")

    report = load_evidence(["s3://trail/AWSLogs/"], None, s3_client=client)

    assert [s.name for s in report.sources] == [
        f"s3://trail/{prefix}{i}.json.gz" for i in range(3)
    ]
    assert report.records == 45
    json.dumps(report.to_json())
