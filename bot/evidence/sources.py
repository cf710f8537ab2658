"""Find the log files named by a path, a folder or an `s3://bucket/prefix`."""

from __future__ import annotations

import gzip
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from bot.errors import ContainbotError

_GZIP_MAGIC = b"\x1f\x8b"
_BUFFER = 1 << 20


class EvidenceError(ContainbotError):
    """An evidence source cannot be read at all; the message names it."""


@dataclass(frozen=True)
class Source:
    """One log file, local or in S3, opened only when read."""

    name: str
    open_binary: Callable[[], IO[bytes]]
    # Set for local files, which can be measured and read in parts.
    path: Path | None = None


def find_sources(path: str, s3_client: Any = None) -> Iterator[Source]:
    """Yield the files `path` names: itself, every file under it, or S3 objects."""
    if path.startswith("s3://"):
        yield from _s3_sources(path, s3_client)
        return
    root = Path(path)
    if root.is_file():
        yield file_source(root)
    elif root.is_dir():
        for file in sorted(p for p in root.rglob("*") if p.is_file()):
            if not any(part.startswith(".") for part in file.relative_to(root).parts):
                yield file_source(file)
    else:
        raise EvidenceError(f"{path}: no such file or folder")


def open_text(binary: IO[bytes]) -> io.TextIOWrapper:
    """Open a byte stream as UTF-8 text, decompressing it when it is gzip."""
    # Anonymised logs carry odd bytes now and then; they must not stop the read.
    return text_of(open_bytes(binary))


def open_bytes(binary: IO[bytes]) -> IO[bytes]:
    """Return the bytes of a stream, decompressed when it is gzip."""
    head = binary.read(2)
    raw: IO[bytes] = io.BufferedReader(_Prefixed(head, binary), _BUFFER)
    if head == _GZIP_MAGIC:
        raw = gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[assignment]
    return raw


def text_of(binary: IO[bytes]) -> io.TextIOWrapper:
    """Read `binary` as UTF-8 text the way every reader here does."""
    # Odd bytes become U+FFFD and line ends are translated, so character
    # offsets mean the same whichever reader counted them.
    return io.TextIOWrapper(binary, encoding="utf-8", errors="replace")  # type: ignore[arg-type]


def file_source(file: Path) -> Source:
    """Return the source of one local file."""
    return Source(str(file), lambda: file.open("rb"), file)


def _s3_sources(url: str, s3_client: Any) -> Iterator[Source]:
    bucket, _, prefix = url.removeprefix("s3://").partition("/")
    if not bucket:
        raise EvidenceError(f"{url}: an S3 location is s3://BUCKET/PREFIX")
    if s3_client is None:
        import boto3

        s3_client = boto3.client("s3")
    paginator = s3_client.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", ()):
            key = item["Key"]
            if key.endswith("/"):
                continue
            yield Source(f"s3://{bucket}/{key}", _s3_opener(s3_client, bucket, key))


def _s3_opener(client: Any, bucket: str, key: str) -> Callable[[], IO[bytes]]:
    return lambda: client.get_object(Bucket=bucket, Key=key)["Body"]


def prefixed(head: bytes, rest: IO[bytes], limit: int | None = None) -> IO[bytes]:
    """Return a stream of `head`, then of at most `limit` bytes of `rest`."""
    return io.BufferedReader(_Prefixed(head, rest, limit), _BUFFER)


class _Prefixed(io.RawIOBase):
    """A byte stream that gives back bytes already read from it, then the rest."""

    def __init__(self, head: bytes, rest: IO[bytes], limit: int | None = None) -> None:
        self._head = head
        self._rest = rest
        self._left = limit

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        if self._head:
            count = min(len(view), len(self._head))
            view[:count] = self._head[:count]
            self._head = self._head[count:]
            return count
        wanted = len(view) if self._left is None else min(len(view), self._left)
        data = self._rest.read(wanted) if wanted else b""
        if self._left is not None:
            self._left -= len(data)
        view[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._rest.close()
        super().close()
