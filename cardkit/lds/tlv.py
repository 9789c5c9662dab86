"""Bounded BER-TLV as used by the LDS (ISO/IEC 7816-4 §5.2, ICAO 9303-10 §4.6).

Strict about lengths: a length that runs past the buffer, an indefinite length, a tag or length
field longer than the limits, or nesting deeper than `MAX_DEPTH` raises `ParseError`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from ..errors import ParseError

MAX_TAG_BYTES = 4
MAX_LENGTH_BYTES = 4  # lengths up to 4 GiB; a data group is far smaller
MAX_DEPTH = 32


@dataclass(frozen=True)
class TLV:
    tag: int
    value: bytes
    header_len: int = 0

    @property
    def constructed(self) -> bool:
        first = self.tag.to_bytes(tag_size(self.tag), "big")[0]
        return bool(first & 0x20)

    def children(self, depth: int = 0) -> list[TLV]:
        """Parse the value as a sequence of TLVs."""
        if depth >= MAX_DEPTH:
            raise ParseError("TLV nested too deeply")
        return list(iter_tlv(self.value))

    def find(self, tag: int) -> TLV | None:
        for child in self.children():
            if child.tag == tag:
                return child
        return None

    def require(self, tag: int, what: str = "") -> TLV:
        child = self.find(tag)
        if child is None:
            raise ParseError(f"{what or 'TLV'}: tag {tag:X} missing inside {self.tag:X}")
        return child


def tag_size(tag: int) -> int:
    return max(1, (tag.bit_length() + 7) // 8)


def read_tag(buf: bytes, pos: int) -> tuple[int, int]:
    """Return (tag, next position)."""
    if pos >= len(buf):
        raise ParseError("TLV truncated: tag expected")
    first = buf[pos]
    tag = first
    pos += 1
    if first & 0x1F == 0x1F:
        n = 1
        while True:
            if pos >= len(buf):
                raise ParseError("TLV truncated inside a multi-byte tag")
            b = buf[pos]
            tag = (tag << 8) | b
            pos += 1
            n += 1
            if n > MAX_TAG_BYTES:
                raise ParseError("TLV tag longer than 4 bytes")
            if not b & 0x80:
                break
    return tag, pos


def read_length(buf: bytes, pos: int) -> tuple[int, int]:
    """Return (length, next position); definite lengths only."""
    if pos >= len(buf):
        raise ParseError("TLV truncated: length expected")
    first = buf[pos]
    pos += 1
    if first < 0x80:
        return first, pos
    n = first & 0x7F
    if n == 0:
        raise ParseError("TLV uses indefinite length (not allowed in the LDS)")
    if n > MAX_LENGTH_BYTES:
        raise ParseError(f"TLV length field of {n} bytes is too long")
    if pos + n > len(buf):
        raise ParseError("TLV truncated inside the length field")
    return int.from_bytes(buf[pos : pos + n], "big"), pos + n


def read_header(buf: bytes, pos: int = 0) -> tuple[int, int, int]:
    """Return (tag, length, header size) of the TLV starting at `pos` (value may be absent).

    Used to learn a file's total size from its first bytes.
    """
    tag, p = read_tag(buf, pos)
    length, p = read_length(buf, p)
    return tag, length, p - pos


def parse_one(buf: bytes, pos: int = 0) -> tuple[TLV, int]:
    tag, p = read_tag(buf, pos)
    length, p = read_length(buf, p)
    end = p + length
    if end > len(buf):
        raise ParseError(
            f"TLV {tag:X} claims {length} bytes but only {len(buf) - p} remain (truncated?)"
        )
    return TLV(tag, bytes(buf[p:end]), p - pos), end


def parse(buf: bytes, expect_tag: int | None = None, *, allow_trailing: bool = False) -> TLV:
    """Parse exactly one TLV filling `buf` (trailing bytes rejected unless allowed)."""
    tlv, end = parse_one(buf)
    if expect_tag is not None and tlv.tag != expect_tag:
        raise ParseError(f"expected tag {expect_tag:X}, found {tlv.tag:X}")
    if end != len(buf) and not allow_trailing:
        raise ParseError(f"{len(buf) - end} unexpected bytes after TLV {tlv.tag:X}")
    return tlv


def iter_tlv(buf: bytes) -> Iterator[TLV]:
    pos = 0
    while pos < len(buf):
        tlv, pos = parse_one(buf, pos)
        yield tlv


def encode_length(n: int) -> bytes:
    if n < 0:
        raise ValueError("negative length")
    if n < 0x80:
        return bytes((n,))
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((0x80 | len(body),)) + body


def encode(tag: int, value: bytes) -> bytes:
    return tag.to_bytes(tag_size(tag), "big") + encode_length(len(value)) + value
