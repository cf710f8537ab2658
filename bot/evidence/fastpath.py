"""Count CloudTrail records decoding only the fields a summary uses.

msgspec decodes each record into a small struct and skips every other field
without building it, which is most of a CloudTrail record. The result must be
what the general readers give, so this path takes only what it can read exactly
as they would and hands everything else back: a record that is not CloudTrail,
a field of an unexpected type, a line that is not one JSON value. msgspec
refuses nothing valid that matters here and accepts nothing `json` refuses.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import IO, Any

import msgspec

from bot.evidence import cloudtrail
from bot.evidence.classify import AWS_READ_CALLS, aws_read, is_denied
from bot.evidence.readers import SourceStats, value_records
from bot.evidence.records import LogKind, parse_time
from bot.evidence.summary import Summarizer
from bot.intake.model import IdentityKey

BLOCK_BYTES = 1 << 20
# A CloudTrail file is decoded whole when it is at most this large; larger ones
# are streamed by the general reader so that memory stays bounded.
MAX_RECORDS_FILE = 32 << 20
_CACHE_LIMIT = 50_000
_BOM = b"\xef\xbb\xbf"
_CLOUDTRAIL = LogKind.CLOUDTRAIL
_UNSET = msgspec.UNSET
_NO_PARAMS = msgspec.Raw()  # empty: the field is missing


class _Issuer(msgspec.Struct, frozen=True, gc=False):
    arn: str | None = None


class _Session(msgspec.Struct, frozen=True, gc=False):
    sessionIssuer: _Issuer | None = None


class _Who(msgspec.Struct, frozen=True, gc=False):
    type: str | None = None
    arn: str | None = None
    accessKeyId: str | None = None
    sessionContext: _Session | None = None
    userName: str | None = None
    invokedBy: str | None = None


class _Event(msgspec.Struct, gc=False):
    # UNSET tells a missing field from a null one: both must be present for a
    # record to be CloudTrail, whatever their value.
    eventSource: str | None | msgspec.UnsetType = _UNSET
    eventName: str | None | msgspec.UnsetType = _UNSET
    eventTime: str | None = None
    timestamp: str | None = msgspec.field(default=None, name="@timestamp")
    errorCode: str | None = None
    sourceIPAddress: str | None = None
    userIdentity: _Who | None = None
    # Kept as raw bytes: only the few calls that read something need it.
    requestParameters: msgspec.Raw = _NO_PARAMS


class _Trail(msgspec.Struct, gc=False):
    Records: list[_Event]


_decode_event = msgspec.json.Decoder(_Event).decode
_decode_trail = msgspec.json.Decoder(_Trail).decode
_decode_errors = (msgspec.DecodeError, msgspec.ValidationError)


class Folder:
    """Count decoded events into a summarizer and a file's statistics."""

    def __init__(self, summarizer: Summarizer, stats: SourceStats) -> None:
        self._summarizer = summarizer
        self._add_call = summarizer.add_call
        self.stats = stats
        self._callers: dict[_Who | None, tuple[str, tuple[IdentityKey, ...]]] = {}
        # CloudTrail records counted but not yet added to the statistics; they
        # are added before any other kind so that the counter keeps its order.
        self._pending = 0
        self._time_text: str | None = None
        self._time = parse_time(None)

    def event(self, event: _Event) -> bool:
        """Count one event; return False, counting nothing, if it is not CloudTrail."""
        source, name = event.eventSource, event.eventName
        if source is _UNSET or name is _UNSET:
            return False
        who = event.userIdentity
        try:
            caller = self._callers.get(who)
            if caller is None:
                caller = self._resolve(who)
            source = source or "unknown"
            name = name or "unknown"
            error = event.errorCode or None
            reads, names = None, ()
            if error is None and (source, name) in AWS_READ_CALLS:
                reads, names = aws_read(source, name, _params(event))
            text = event.eventTime or event.timestamp
            if text != self._time_text:
                self._time = parse_time(text)
                self._time_text = text
            time = self._time
        except (TypeError, ValueError, AttributeError, KeyError, IndexError) as exc:
            self.flush()
            self.stats.skip(f"a record could not be read: {exc!r}")
            return True
        self._add_call(
            _CLOUDTRAIL,
            time,
            caller[0],
            caller[1],
            source,
            name,
            event.sourceIPAddress or None,
            error,
            error is not None and is_denied(error),
            reads,
            names,
        )
        self._pending += 1
        return True

    def value(self, value: Any) -> None:
        """Count a value decoded in full, exactly as the general reader does."""
        self.flush()
        add = self._summarizer.add
        for record in value_records(value, self.stats):
            add(record)

    def flush(self) -> None:
        if self._pending:
            self.stats.records[_CLOUDTRAIL] += self._pending
            self._pending = 0

    def _resolve(self, who: _Who | None) -> tuple[str, tuple[IdentityKey, ...]]:
        if len(self._callers) >= _CACHE_LIMIT:
            self._callers.clear()
        if who is None:
            found = cloudtrail.caller_of({})
        else:
            session = who.sessionContext
            issuer = session.sessionIssuer if session is not None else None
            found = cloudtrail.caller_of(
                {
                    "type": who.type,
                    "arn": who.arn,
                    "accessKeyId": who.accessKeyId,
                    "sessionContext": {
                        "sessionIssuer": {"arn": issuer.arn if issuer else None}
                    },
                    "userName": who.userName,
                    "invokedBy": who.invokedBy,
                }
            )
        self._callers[who] = found
        return found


def fold_records(data: bytes, folder: Folder) -> bool:
    """Count a whole `{"Records": [...]}` file; False, counting nothing, if unsure."""
    if data.startswith(_BOM):
        data = data[len(_BOM) :]
    # The general reader takes the first Records array and msgspec the last.
    if data.count(b'"Records"') != 1:
        return False
    try:
        events = _decode_trail(data).Records
    except _decode_errors:
        return False
    if not all(
        e.eventSource is not _UNSET and e.eventName is not _UNSET for e in events
    ):
        return False
    fold = folder.event
    for event in events:
        fold(event)
    folder.flush()
    return True


def fold_lines(
    binary: IO[bytes], limit: int | None, at_start: bool, folder: Folder
) -> tuple[int, bytes] | None:
    """Count JSON lines from `binary`, at most `limit` bytes of it.

    Returns None when every line was counted. Otherwise stops at the first line
    that is not one JSON value, which only the general reader can read right
    (a value over several lines, a broken line), and returns how many bytes
    came before that line and the bytes read past it, for that reader to go on.
    """
    fold_event = folder.event
    fold_value = folder.value
    done = 0  # bytes before the lines still pending
    pending = b""
    left = limit
    first = at_start
    while True:
        size = BLOCK_BYTES if left is None else min(BLOCK_BYTES, left)
        chunk = binary.read(size) if size else b""
        if left is not None:
            left -= len(chunk)
        if first:
            first = False
            if chunk.startswith(_BOM):
                # The general reader counts the mark as one character.
                return 0, chunk
        if chunk:
            data = pending + chunk
            cut = data.rfind(b"\n") + 1
            if cut == 0:
                pending = data
                continue
            block, pending = data[:cut], data[cut:]
        elif pending:
            block, pending = pending, b""
        else:
            folder.flush()
            return None
        offset = 0
        for line in _lines(block):
            try:
                if fold_event(_decode_event(line)):
                    offset += len(line) + 1
                    continue
            except _decode_errors:
                pass
            if line.strip():
                try:
                    value = json.loads(line.decode("utf-8", "replace"))
                except (ValueError, RecursionError):
                    folder.flush()
                    return done + offset, block[offset:] + pending
                fold_value(value)
            offset += len(line) + 1
        done += len(block)
        folder.flush()


def _lines(block: bytes) -> Iterator[bytes]:
    lines = block.split(b"\n")
    if block.endswith(b"\n"):
        lines.pop()
    return iter(lines)


def _params(event: _Event) -> Any:
    raw = event.requestParameters
    if not raw:
        return None
    # Decoded as the general reader would: replaced odd bytes, stdlib numbers.
    return json.loads(bytes(raw).decode("utf-8", "replace"))
