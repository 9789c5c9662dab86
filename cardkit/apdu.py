"""Command and response APDUs (ISO/IEC 7816-4 §5) and status words."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from .errors import (
    FileNotFoundOnCard,
    ParseError,
    SecurityStatusError,
    StatusWordError,
)


class SW(IntEnum):
    OK = 0x9000
    WARNING_END_OF_FILE = 0x6282
    WRONG_LENGTH = 0x6700
    SECURITY_STATUS = 0x6982
    AUTH_METHOD_BLOCKED = 0x6983
    REFERENCE_DATA_UNUSABLE = 0x6984
    CONDITIONS_NOT_SATISFIED = 0x6985
    SM_DATA_MISSING = 0x6987
    SM_DATA_INCORRECT = 0x6988
    WRONG_DATA = 0x6A80
    FUNCTION_NOT_SUPPORTED = 0x6A81
    FILE_NOT_FOUND = 0x6A82
    WRONG_P1P2 = 0x6B00
    INS_NOT_SUPPORTED = 0x6D00
    CLA_NOT_SUPPORTED = 0x6E00
    UNKNOWN = 0x6F00


@dataclass(frozen=True)
class Command:
    """A command APDU. `le` is the expected length: None = absent, 256 (short) / 65536 (extended)
    mean "all available" and are encoded as 00 / 0000."""

    cla: int
    ins: int
    p1: int
    p2: int
    data: bytes = b""
    le: int | None = None

    def __post_init__(self) -> None:
        for name in ("cla", "ins", "p1", "p2"):
            if not 0 <= getattr(self, name) <= 0xFF:
                raise ValueError(f"{name} out of range")
        if len(self.data) > 65535:
            raise ValueError("command data longer than 65535 bytes")
        if self.le is not None and not 0 < self.le <= 65536:
            raise ValueError("le must be 1..65536 or None")

    @property
    def needs_extended(self) -> bool:
        return len(self.data) > 255 or (self.le is not None and self.le > 256)

    def to_bytes(self, extended: bool | None = None) -> bytes:
        """Encode (ISO/IEC 7816-4 §5.1); extended length when needed or asked for."""
        ext = self.needs_extended if extended is None else extended
        if not ext and self.needs_extended:
            raise ValueError("APDU does not fit a short encoding")
        out = bytearray((self.cla, self.ins, self.p1, self.p2))
        if ext:
            if self.data:
                out += b"\x00" + len(self.data).to_bytes(2, "big") + self.data
            if self.le is not None:
                le = b"\x00\x00" if self.le == 65536 else self.le.to_bytes(2, "big")
                out += le if self.data else b"\x00" + le
        else:
            if self.data:
                out += bytes((len(self.data),)) + self.data
            if self.le is not None:
                out.append(0 if self.le == 256 else self.le)
        return bytes(out)

    @classmethod
    def from_bytes(cls, raw: bytes) -> Command:
        """Decode any of the four ISO cases, short or extended."""
        if len(raw) < 4:
            raise ParseError(f"command APDU too short ({len(raw)} bytes)")
        cla, ins, p1, p2 = raw[:4]
        body = raw[4:]
        if not body:
            return cls(cla, ins, p1, p2)
        if len(body) == 1:
            return cls(cla, ins, p1, p2, le=body[0] or 256)
        if body[0] != 0:  # short with data
            lc = body[0]
            if len(body) == 1 + lc:
                return cls(cla, ins, p1, p2, bytes(body[1:]))
            if len(body) == 2 + lc:
                return cls(cla, ins, p1, p2, bytes(body[1 : 1 + lc]), body[-1] or 256)
            raise ParseError("command APDU length does not match Lc")
        # extended
        if len(body) == 3:
            n = int.from_bytes(body[1:3], "big")
            return cls(cla, ins, p1, p2, le=n or 65536)
        lc = int.from_bytes(body[1:3], "big")
        if lc == 0:
            raise ParseError("extended command APDU with Lc = 0")
        if len(body) == 3 + lc:
            return cls(cla, ins, p1, p2, bytes(body[3:]))
        if len(body) == 5 + lc:
            n = int.from_bytes(body[-2:], "big")
            return cls(cla, ins, p1, p2, bytes(body[3 : 3 + lc]), n or 65536)
        raise ParseError("extended command APDU length does not match Lc")


@dataclass(frozen=True)
class Response:
    data: bytes
    sw: int

    @classmethod
    def from_bytes(cls, raw: bytes) -> Response:
        if len(raw) < 2:
            raise ParseError(f"response APDU too short ({len(raw)} bytes)")
        return cls(bytes(raw[:-2]), int.from_bytes(raw[-2:], "big"))

    def to_bytes(self) -> bytes:
        return self.data + self.sw.to_bytes(2, "big")

    @property
    def sw1(self) -> int:
        return self.sw >> 8

    @property
    def sw2(self) -> int:
        return self.sw & 0xFF

    @property
    def ok(self) -> bool:
        return self.sw == SW.OK

    def check(self, what: str) -> Response:
        """Return self on 9000, else raise the mapped error naming `what` was attempted."""
        if self.sw == SW.OK:
            return self
        raise status_error(self.sw, what)


def sw_text(sw: int) -> str:
    try:
        name = SW(sw).name.lower().replace("_", " ")
    except ValueError:
        name = "unexpected status"
    return f"{sw:04X} ({name})"


def status_error(sw: int, what: str) -> StatusWordError:
    if sw == SW.SECURITY_STATUS:
        return SecurityStatusError(f"{what}: access not granted by the chip, {sw_text(sw)}", sw)
    if sw == SW.FILE_NOT_FOUND:
        return FileNotFoundOnCard(f"{what}: file not on this chip, {sw_text(sw)}", sw)
    return StatusWordError(f"{what}: card answered {sw_text(sw)}", sw)
