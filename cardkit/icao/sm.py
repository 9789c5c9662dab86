"""Terminal-side secure messaging (ICAO 9303-11 §9.8; ISO/IEC 7816-4 §10).

`wrap()` protects a command: DO'87' (even INS) or DO'85' (odd INS) with the padded, encrypted
data, DO'97' with Le, DO'8E' with the MAC over SSC || padded header || data objects.
`unwrap()` checks every response: DO'99' (status) and DO'8E' are mandatory and the MAC is compared
in constant time; DO'87'/'85' is decrypted. The send sequence counter (SSC) is incremented once
per command and once per response (§9.8.3).

`TripleDesSM` is established by BAC (§9.8.6.1), `AesSM` by PACE / Chip Authentication (§9.8.6.2).
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from ..apdu import SW, Command, Response
from ..errors import ParseError, SecureMessagingError
from ..lds import tlv
from . import crypto

DO_CRYPTOGRAM_ODD = 0x85  # plain value encrypted (odd INS, BER-TLV data)
DO_CRYPTOGRAM = 0x87  # padding-content indicator 01 || cryptogram (even INS)
DO_LE = 0x97
DO_STATUS = 0x99
DO_MAC = 0x8E
MAC_LEN = 8
MAX_SHORT_RESPONSE = 256


class SessionEndedError(SecureMessagingError):
    """The chip answered 6987/6988 unprotected: it has ended the secure-messaging session (the
    access key was accepted before; a new session can be established with it)."""


class TruncatedResponseError(SecureMessagingError):
    """The protected answer is cut short (its data objects run past the end): the reader or the
    card could not pass that many bytes. The chunking logic retries with a smaller Le."""


# Status words a chip gives before its secure-messaging layer runs (APDU length/class/INS refused).
_NOT_PROCESSED = frozenset((SW.WRONG_LENGTH, SW.INS_NOT_SUPPORTED, SW.CLA_NOT_SUPPORTED))


class SecureMessaging(ABC):
    """Secure-messaging state of one session (keys + SSC). Subclasses supply the primitives."""

    block_size: int = 8
    ssc_size: int = 8
    name: str = "SM"

    def __init__(self, k_enc: bytes, k_mac: bytes, ssc: int | bytes = 0) -> None:
        if isinstance(ssc, bytes | bytearray):
            if len(ssc) != self.ssc_size:
                raise ValueError(f"SSC must be {self.ssc_size} bytes")
            ssc = int.from_bytes(ssc, "big")
        self._k_enc = bytes(k_enc)
        self._k_mac = bytes(k_mac)
        self.ssc = int(ssc)
        self._ssc_before_command = self.ssc

    def __repr__(self) -> str:  # keys and SSC never reach a log
        return f"{type(self).__name__}(<redacted>)"

    # --- primitives -------------------------------------------------------------------------------

    @abstractmethod
    def _encrypt(self, padded: bytes) -> bytes: ...

    @abstractmethod
    def _decrypt(self, cryptogram: bytes) -> bytes: ...

    @abstractmethod
    def _mac(self, padded: bytes) -> bytes: ...

    @property
    def ssc_bytes(self) -> bytes:
        return self.ssc.to_bytes(self.ssc_size, "big")

    def _increment(self) -> None:
        self.ssc = (self.ssc + 1) % (1 << (8 * self.ssc_size))

    def _pad(self, data: bytes) -> bytes:
        return crypto.pad(data, self.block_size)

    # --- sizes ------------------------------------------------------------------------------------

    def protected_size(self, plain_len: int, *, odd_ins: bool = False) -> int:
        """Bytes of the protected response data field carrying `plain_len` plain bytes."""
        size = 4 + 2 + MAC_LEN  # DO'99' + DO'8E'
        if plain_len > 0:
            value = (plain_len // self.block_size + 1) * self.block_size + (0 if odd_ins else 1)
            size += 1 + len(tlv.encode_length(value)) + value
        return size

    def max_plain(self, limit: int, *, odd_ins: bool = False) -> int:
        """Largest plain length whose protected response fits in `limit` bytes (0 if none)."""
        lo, hi = 0, max(0, limit)
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self.protected_size(mid, odd_ins=odd_ins) <= limit:
                lo = mid
            else:
                hi = mid - 1
        return lo

    # --- §9.8.4 / §9.8.5 --------------------------------------------------------------------------

    def wrap(self, cmd: Command) -> Command:
        """Protect a plain command (ICAO 9303-11 §9.8.4); increments the SSC."""
        if cmd.cla & 0x0C:
            raise ValueError("command is already protected (CLA has secure-messaging bits)")
        cla = cmd.cla | 0x0C
        header = bytes((cla, cmd.ins, cmd.p1, cmd.p2))
        self._ssc_before_command = self.ssc
        self._increment()  # before encryption: the AES IV is E(K_enc, SSC) of this command
        dos = b""
        if cmd.data:
            cryptogram = self._encrypt(self._pad(cmd.data))
            if cmd.ins & 1:
                dos += tlv.encode(DO_CRYPTOGRAM_ODD, cryptogram)
            else:
                dos += tlv.encode(DO_CRYPTOGRAM, b"\x01" + cryptogram)
        if cmd.le is not None:
            n = 1 if cmd.le <= 256 else 2  # 256 → 00, 65536 → 0000
            le = (cmd.le % (1 << (8 * n))).to_bytes(n, "big")
            dos += tlv.encode(DO_LE, le)
        mac = self._mac(self.ssc_bytes + self._pad(header) + (self._pad(dos) if dos else b""))
        body = dos + tlv.encode(DO_MAC, mac)
        # Le 256 means "whatever the chip has, up to a short answer" (GENERAL AUTHENTICATE,
        # INTERNAL AUTHENTICATE): the protected command stays short, so short-only chips work.
        # An explicit plain Le whose protected answer cannot fit 256 bytes needs extended length.
        expected = self.protected_size(cmd.le or 0, odd_ins=bool(cmd.ins & 1))
        extended = len(body) > 255 or (
            cmd.le is not None and cmd.le != 256 and expected > MAX_SHORT_RESPONSE)
        return Command(cla, cmd.ins, cmd.p1, cmd.p2, body, 65536 if extended else 256)

    def skip_response(self) -> None:
        """Account for a response that was lost in transit (the card counted it)."""
        self._increment()

    def unwrap(self, resp: Response) -> Response:
        """Verify and decrypt a protected response (ICAO 9303-11 §9.8.5); increments the SSC.

        A bare error status without data objects (e.g. 6982, 6A82) is returned as it is: the chip
        may answer errors unprotected (ISO/IEC 7816-4 §10.2.3). It is not authenticated, so a bare
        9000 is refused, and 6987/6988 (the chip rejected our protection and ended the session)
        raise SecureMessagingError.
        """
        if not resp.data and (resp.sw in _NOT_PROCESSED or resp.sw >> 8 == 0x6C):
            # Refused while parsing the APDU (e.g. an extended Le on a short-only chip): the
            # chip's secure messaging never saw the command, so neither side counts it.
            self.ssc = self._ssc_before_command
            return resp
        self._increment()
        if not resp.data:
            if resp.sw == SW.OK:
                raise SecureMessagingError(
                    "secure messaging: the chip answered without protection — read again")
            if resp.sw in (SW.SM_DATA_MISSING, SW.SM_DATA_INCORRECT):
                raise SessionEndedError(
                    f"secure messaging: the chip rejected a protected command ({resp.sw:04X}) "
                    "and ended the session — read again")
            return resp
        objs: list[tuple[int, bytes, int]] = []  # tag, value, start offset
        pos = 0
        data = resp.data
        try:
            while pos < len(data):
                start = pos
                obj, pos = tlv.parse_one(data, pos)
                objs.append((obj.tag, obj.value, start))
        except ParseError:
            raise TruncatedResponseError(
                "secure messaging: the chip's answer arrived cut short") from None
        tags = [t for t, _, _ in objs]
        if not tags or tags[-1] != DO_MAC:
            raise TruncatedResponseError(
                "secure messaging: the chip's answer has no MAC (cut short?)")
        if (len(set(tags)) != len(tags) or DO_STATUS not in tags
                or any(t not in (DO_CRYPTOGRAM, DO_CRYPTOGRAM_ODD, DO_STATUS, DO_MAC) for t in tags)
                or (DO_CRYPTOGRAM in tags and DO_CRYPTOGRAM_ODD in tags)):
            raise SecureMessagingError(
                "secure messaging: the chip's answer has unexpected data objects")
        mac_tag, mac_value, mac_start = objs[-1]
        covered = data[:mac_start]
        expected = self._mac(self.ssc_bytes + self._pad(covered))
        if len(mac_value) != MAC_LEN or not crypto.equal(expected, mac_value):
            raise SecureMessagingError(
                "secure messaging: the chip's answer failed its integrity check (MAC) — "
                "keep the card still and read again")
        plain = b""
        sw: int | None = None
        for tag, value, _ in objs[:-1]:
            if tag == DO_STATUS:
                if len(value) != 2:
                    raise SecureMessagingError("secure messaging: malformed status object")
                sw = int.from_bytes(value, "big")
            elif tag == DO_CRYPTOGRAM:
                if len(value) < 1 + self.block_size or value[0] != 0x01:
                    raise SecureMessagingError("secure messaging: malformed cryptogram object")
                plain = crypto.unpad(self._decrypt(value[1:]))
            elif tag == DO_CRYPTOGRAM_ODD:
                if not value:
                    raise SecureMessagingError("secure messaging: malformed cryptogram object")
                plain = crypto.unpad(self._decrypt(value))
        assert sw is not None
        if sw != resp.sw:
            raise SecureMessagingError(
                "secure messaging: protected status differs from the status received")
        return Response(plain, sw)


class TripleDesSM(SecureMessaging):
    """3DES secure messaging set up by BAC: 3DES-CBC with zero IV, retail MAC, 8-byte SSC
    (ICAO 9303-11 §9.8.6.1)."""

    block_size = 8
    ssc_size = 8
    name = "3DES"

    def _encrypt(self, padded: bytes) -> bytes:
        return crypto.des3_encrypt(self._k_enc, padded)

    def _decrypt(self, cryptogram: bytes) -> bytes:
        return crypto.des3_decrypt(self._k_enc, cryptogram)

    def _mac(self, padded: bytes) -> bytes:
        return crypto.retail_mac(self._k_mac, padded)


class AesSM(SecureMessaging):
    """AES secure messaging set up by PACE / CA: AES-CBC with IV = E(K_enc, SSC), AES-CMAC
    truncated to 8 bytes, 16-byte SSC starting at 0 (ICAO 9303-11 §9.8.6.2)."""

    block_size = 16
    ssc_size = 16
    name = "AES"

    def __init__(self, k_enc: bytes, k_mac: bytes, ssc: int | bytes = 0) -> None:
        if len(k_enc) not in (16, 24, 32) or len(k_mac) not in (16, 24, 32):
            raise ValueError("AES keys must be 16, 24 or 32 bytes")
        super().__init__(k_enc, k_mac, ssc)

    def _iv(self) -> bytes:
        return crypto.aes_ecb_block(self._k_enc, self.ssc_bytes)

    def _encrypt(self, padded: bytes) -> bytes:
        return crypto.aes_encrypt(self._k_enc, padded, self._iv())

    def _decrypt(self, cryptogram: bytes) -> bytes:
        return crypto.aes_decrypt(self._k_enc, cryptogram, self._iv())

    def _mac(self, padded: bytes) -> bytes:
        return crypto.aes_cmac(self._k_mac, padded, MAC_LEN)
