"""Read JSON values one at a time from a text stream, in bounded memory.

A CloudTrail log file is one object, `{"Records": [...]}`, that can be large; the
records are decoded one by one from a sliding buffer instead of all at once. The
same reader handles a top-level array, JSON lines and concatenated documents.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, TextIO

CHUNK_CHARS = 1 << 20
# A single record larger than this is refused rather than buffered without end.
MAX_VALUE_CHARS = 64 << 20

_CUT_SLACK = 64
_HEAD_CHARS = 4096
_WS = re.compile(r"[ \t\r\n]*")
_WS_COMMA = re.compile(r"[ \t\r\n,]*")
_RECORDS_START = re.compile(r'\{\s*"Records"\s*:\s*\[')
_decode = json.JSONDecoder().raw_decode


@dataclass(frozen=True)
class BadJson:
    """A value that could not be decoded; `offset` counts characters from the start."""

    offset: int
    message: str


class JsonValues:
    """Iterate the JSON values of `stream`; `shape` tells how they were laid out."""

    def __init__(
        self,
        stream: TextIO,
        chunk_chars: int = CHUNK_CHARS,
        *,
        offset: int = 0,
        documents: bool = False,
    ) -> None:
        """Read `stream`, which starts `offset` characters into its file.

        With `documents`, the stream is read as values one after another
        whatever its head looks like: it continues a file read that way.
        """
        self._stream = stream
        self._chunk = chunk_chars
        self._buf = ""
        self._pos = 0
        # Characters dropped from the front of the buffer so far, plus those
        # before the stream's start.
        self._base = offset
        self._eof = False
        # Enough of the head to tell the layout apart, whatever the chunk size.
        while len(self._buf) < _HEAD_CHARS and self._fill():
            pass
        if offset == 0 and self._buf.startswith("\ufeff"):
            self._pos = 1
        if documents:
            self.shape = "documents"
            return
        self._pos = _WS.match(self._buf, self._pos).end()
        head = self._buf[self._pos : self._pos + 1]
        if head == "[":
            self.shape = "array"
        elif head == "{" and _RECORDS_START.match(self._buf, self._pos):
            self.shape = "records"
        elif head == "{":
            self.shape = "documents"
        else:
            self.shape = "text" if head else "empty"

    def text(self) -> Iterator[str]:
        """Yield the lines of a stream that is not JSON, from its beginning."""
        yield from self._lines()

    def __iter__(self) -> Iterator[Any]:
        if self.shape in ("array", "records"):
            self._pos = self._buf.index("[", self._pos) + 1
            yield from self._elements()
        elif self.shape == "documents":
            yield from self._documents()

    def _elements(self) -> Iterator[Any]:
        while True:
            self._pos = _WS_COMMA.match(self._buf, self._pos).end()
            if self._pos >= len(self._buf):
                if not self._fill():
                    yield BadJson(self._offset(), "the array is not closed")
                    return
                continue
            if self._buf[self._pos] == "]":
                return
            value = self._next()
            yield value
            if isinstance(value, BadJson):
                # Inside an array there is no safe place to resume after an error.
                return

    def _documents(self) -> Iterator[Any]:
        while True:
            self._pos = _WS.match(self._buf, self._pos).end()
            if self._pos >= len(self._buf) and not self._fill():
                return
            if self._pos >= len(self._buf):
                continue
            value = self._next()
            yield value
            if isinstance(value, BadJson):
                self._skip_line()

    def _next(self) -> Any:
        while True:
            try:
                value, end = _decode(self._buf, self._pos)
            except json.JSONDecodeError as error:
                if self._may_be_cut(error) and self._fill():
                    continue
                return BadJson(self._offset(), _explain(error.msg))
            # A number at the end of the buffer may continue in the next chunk.
            if end == len(self._buf) and not self._eof and self._fill():
                continue
            self._pos = end
            return value

    def _may_be_cut(self, error: json.JSONDecodeError) -> bool:
        if self._eof or len(self._buf) - self._pos > MAX_VALUE_CHARS:
            return False
        # A literal or number cut by the chunk edge fails a few characters before
        # the end; an unterminated string is reported where it starts.
        near_end = error.pos >= len(self._buf) - _CUT_SLACK
        return near_end or error.msg.startswith("Unterminated")

    def _skip_line(self) -> None:
        while True:
            newline = self._buf.find("\n", self._pos)
            if newline >= 0:
                self._pos = newline + 1
                return
            self._pos = len(self._buf)
            if not self._fill():
                return

    def _fill(self) -> bool:
        chunk = self._stream.read(self._chunk)
        if not chunk:
            self._eof = True
            return False
        self._base += self._pos
        self._buf = self._buf[self._pos :] + chunk
        self._pos = 0
        return True

    def _offset(self) -> int:
        return self._base + self._pos

    def _lines(self) -> Iterator[str]:
        pending = self._buf[self._pos :]
        while True:
            *whole, pending = pending.split("\n")
            yield from whole
            chunk = self._stream.read(self._chunk)
            if not chunk:
                break
            pending += chunk
        if pending:
            yield pending


def _explain(message: str) -> str:
    # The decoder's wording for a raw line break inside a string is cryptic.
    if message.startswith("Invalid control character"):
        return "a line break or control character inside a string"
    return message
