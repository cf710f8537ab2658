"""Count one file, or one part of a file, into a summarizer, by the fastest exact way.

CloudTrail in its own layout or as JSON lines goes to the msgspec reader when
msgspec is installed; everything else, and whatever that reader hands back,
goes to the general one. Both give the same summary.
"""

from __future__ import annotations

import re
from typing import IO

from bot.evidence.readers import READ_ERRORS, SourceStats, read_stopped, read_text
from bot.evidence.sources import Source, open_bytes, prefixed, text_of
from bot.evidence.summary import Summarizer

try:
    from bot.evidence import fastpath
except ImportError:  # msgspec is not installed: the general reader does it all.
    fastpath = None  # type: ignore[assignment]

_HEAD_BYTES = 64 << 10
RECORDS_HEAD = re.compile(
    rb'(?:\xef\xbb\xbf)?[ \t\r\n]*\{[ \t\r\n]*"Records"[ \t\r\n]*:'
)
LINES_HEAD = re.compile(rb"(?:\xef\xbb\xbf)?[ \t\r\n]*\{")


def fold_source(
    source: Source,
    stats: SourceStats,
    summarizer: Summarizer,
    *,
    start: int = 0,
    end: int | None = None,
    fast: bool = True,
) -> None:
    """Count the records of `source`, or of its bytes `start` to `end`.

    A part that does not start at 0 must start where a JSON value does: the
    planner cuts files only between lines holding whole objects.
    """
    try:
        with source.open_binary() as raw:
            if start:
                raw.seek(start)
            binary = open_bytes(raw) if not start else prefixed(b"", raw)
            limit = None if end is None else end - start
            if fast and fastpath is not None:
                _fold_fast(source, stats, summarizer, binary, start, limit)
            else:
                _fold_general(stats, summarizer, binary, b"", limit, 0)
    except READ_ERRORS as error:
        read_stopped(source, stats, error)


def _fold_fast(
    source: Source,
    stats: SourceStats,
    summarizer: Summarizer,
    binary: IO[bytes],
    start: int,
    limit: int | None,
) -> None:
    folder = fastpath.Folder(summarizer, stats)
    if start == 0:
        head = binary.read(_HEAD_BYTES if limit is None else min(_HEAD_BYTES, limit))
        if RECORDS_HEAD.match(head):
            data = head + binary.read(fastpath.MAX_RECORDS_FILE + 1 - len(head))
            if len(data) <= fastpath.MAX_RECORDS_FILE and fastpath.fold_records(
                data, folder
            ):
                return
            left = None if limit is None else limit - len(data)
            _fold_general(stats, summarizer, binary, data, left, 0)
            return
        if not LINES_HEAD.match(head):
            left = None if limit is None else limit - len(head)
            _fold_general(stats, summarizer, binary, head, left, 0)
            return
        binary = prefixed(head, binary, None if limit is None else limit - len(head))
    stopped = fastpath.fold_lines(binary, limit, start == 0, folder)
    if stopped is None:
        return
    done, rest = stopped
    left = None if limit is None else limit - done - len(rest)
    offset = _chars_before(source, start + done) if start + done else 0
    _fold_general(stats, summarizer, binary, rest, left, offset)


def _fold_general(
    stats: SourceStats,
    summarizer: Summarizer,
    binary: IO[bytes],
    head: bytes,
    limit: int | None,
    offset: int,
) -> None:
    """Read `head`, then at most `limit` bytes of `binary`, with the general reader."""
    add = summarizer.add
    with text_of(prefixed(head, binary, limit)) as text:
        for record in read_text(text, stats, offset=offset):
            add(record)


def _chars_before(source: Source, byte_offset: int) -> int:
    """Return how many characters the general reader counts before `byte_offset`."""
    # Only needed for the offset of a broken line, so the file is read again
    # rather than every line's characters counted on the fast path.
    count = 0
    with source.open_binary() as raw:
        with text_of(prefixed(b"", open_bytes(raw), byte_offset)) as text:
            while chunk := text.read(1 << 20):
                count += len(chunk)
    return count
