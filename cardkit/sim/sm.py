"""Card-side secure messaging (ICAO 9303-11 §9.8): unwrap protected commands, wrap responses.

Written from the standard for the virtual card; it deliberately shares no code with the terminal's
`cardkit.icao.sm`, so that a mistake on one side cannot hide the same mistake on the other.

`TripleDesSM` (BAC, §9.8.6.1: 3DES-CBC, ISO 9797-1 MAC algorithm 3, 8-byte SSC) and `AesSM`
(PACE / Chip Authentication, §9.8.6.2: AES-CBC with IV = E(K_enc, SSC), AES-CMAC truncated to
8 bytes, 16-byte SSC) share the wrapping logic in `CardSM`.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from Crypto.Cipher import AES, DES, DES3
from Crypto.Hash import CMAC

from ..apdu import SW
from ..lds import tlv


class SMError(Exception):
    """A protected command failed its structure or MAC check (the card answers 6987 / 6988)."""

    def __init__(self, sw: int) -> None:
        super().__init__(f"{sw:04X}")
        self.sw = sw


def pad(data: bytes, block: int) -> bytes:
    """ISO/IEC 9797-1 padding method 2."""
    data = data + b"\x80"
    return data + b"\x00" * (-len(data) % block)


def unpad(data: bytes) -> bytes:
    end = data.rstrip(b"\x00")
    if not end or end[-1] != 0x80:
        raise SMError(SW.SM_DATA_INCORRECT)
    return end[:-1]


def adjust_parity(key: bytes) -> bytes:
    """DES odd parity on every byte (FIPS 46-3)."""
    out = bytearray()
    for b in key:
        b &= 0xFE
        out.append(b | (bin(b).count("1") % 2 == 0))
    return bytes(out)


def kdf(k_seed: bytes, counter: int, algorithm: str = "3DES", key_bits: int = 128) -> bytes:
    """ICAO 9303-11 §9.7.1 key derivation: hash(K || c) truncated; 3DES keys get DES parity."""
    data = k_seed + counter.to_bytes(4, "big")
    if algorithm == "3DES":
        return adjust_parity(hashlib.sha1(data).digest()[:16])
    if key_bits == 128:
        return hashlib.sha1(data).digest()[:16]
    return hashlib.sha256(data).digest()[: key_bits // 8]


def retail_mac(key: bytes, data: bytes) -> bytes:
    """ISO/IEC 9797-1 MAC algorithm 3 with DES, padding method 2 (ICAO 9303-11 §9.8.6.1)."""
    msg = pad(data, 8)
    k1, k2 = key[:8], key[8:16]
    h = DES.new(k1, DES.MODE_CBC, iv=bytes(8)).encrypt(msg)[-8:]
    h = DES.new(k2, DES.MODE_ECB).decrypt(h)
    return DES.new(k1, DES.MODE_ECB).encrypt(h)


def des3_encrypt(key: bytes, data: bytes, iv: bytes = bytes(8)) -> bytes:
    return DES3.new(key, DES3.MODE_CBC, iv=iv).encrypt(data)


def des3_decrypt(key: bytes, data: bytes, iv: bytes = bytes(8)) -> bytes:
    return DES3.new(key, DES3.MODE_CBC, iv=iv).decrypt(data)


@dataclass(frozen=True)
class Unwrapped:
    """A protected command after unwrapping: plain data and Ne (None = no Le in DO'97')."""

    data: bytes
    ne: int | None


class CardSM:
    """Secure messaging state of one session, card side. Subclasses supply the primitives."""

    block = 8

    def __init__(self, k_enc: bytes, k_mac: bytes, ssc: int) -> None:
        self.k_enc = k_enc
        self.k_mac = k_mac
        self.ssc = ssc

    # --- primitives (overridden) ---------------------------------------------------------------

    ssc_len = 8

    def _mac(self, data: bytes) -> bytes:
        raise NotImplementedError

    def _encrypt(self, data: bytes) -> bytes:
        raise NotImplementedError

    def _decrypt(self, data: bytes) -> bytes:
        raise NotImplementedError

    # --- §9.8.6 ---------------------------------------------------------------------------------

    def _ssc_bytes(self) -> bytes:
        return self.ssc.to_bytes(self.ssc_len, "big")

    def _increment(self) -> None:
        self.ssc = (self.ssc + 1) % (1 << (8 * self.ssc_len))

    def unwrap_command(self, header: bytes, body: bytes) -> Unwrapped:
        """Check and strip the protection of a command (`header` = CLA INS P1 P2 as received,
        `body` = command data field). Raises SMError(6987/6988)."""
        try:
            objs = list(tlv.iter_tlv(body))
        except Exception:
            raise SMError(SW.SM_DATA_INCORRECT) from None
        tags = [o.tag for o in objs]
        if not objs or tags[-1] != 0x8E:
            raise SMError(SW.SM_DATA_MISSING)
        if len(set(tags)) != len(tags) or any(t not in (0x85, 0x87, 0x97, 0x8E) for t in tags):
            raise SMError(SW.SM_DATA_INCORRECT)
        if (0x85 in tags and 0x87 in tags) or len(objs[-1].value) != 8:
            raise SMError(SW.SM_DATA_INCORRECT)
        self._increment()
        mac_input = self._ssc_bytes() + pad(header, self.block)
        covered = b"".join(tlv.encode(o.tag, o.value) for o in objs[:-1])
        if covered:
            mac_input += pad(covered, self.block)
        if not hmac.compare_digest(self._mac(mac_input), objs[-1].value):
            raise SMError(SW.SM_DATA_INCORRECT)
        data = b""
        ne: int | None = None
        for o in objs[:-1]:
            if o.tag == 0x87:
                if len(o.value) < 1 + self.block or o.value[0] != 0x01:
                    raise SMError(SW.SM_DATA_INCORRECT)
                cipher = o.value[1:]
                if len(cipher) % self.block:
                    raise SMError(SW.SM_DATA_INCORRECT)
                data = unpad(self._decrypt(cipher))
            elif o.tag == 0x85:
                if not o.value or len(o.value) % self.block:
                    raise SMError(SW.SM_DATA_INCORRECT)
                data = unpad(self._decrypt(o.value))
            elif o.tag == 0x97:
                if len(o.value) == 1:
                    ne = o.value[0] or 256
                elif len(o.value) == 2:
                    ne = int.from_bytes(o.value, "big") or 65536
                elif len(o.value) == 0:
                    ne = None
                else:
                    raise SMError(SW.SM_DATA_INCORRECT)
        return Unwrapped(data, ne)

    def protected_size(self, n: int, *, odd_ins: bool = False) -> int:
        """Size of the protected response data for `n` plain bytes (DO'87'/'85' + '99' + '8E')."""
        size = 4 + 10
        if n:
            cipher = n + self.block - n % self.block
            size += len(tlv.encode(0x85 if odd_ins else 0x87, bytes(cipher + (not odd_ins))))
        return size

    def wrap_response(self, data: bytes, sw: int, *, odd_ins: bool = False,
                      corrupt_mac: bool = False) -> bytes:
        """Protect a response: DO'87' (or DO'85' for odd INS), DO'99', DO'8E' + SW (§9.8.5)."""
        self._increment()  # before encryption: the AES IV is E(K_enc, SSC) of this response
        out = b""
        if data:
            cipher = self._encrypt(pad(data, self.block))
            out += tlv.encode(0x85, cipher) if odd_ins else tlv.encode(0x87, b"\x01" + cipher)
        out += tlv.encode(0x99, sw.to_bytes(2, "big"))
        mac = bytearray(self._mac(self._ssc_bytes() + pad(out, self.block)))
        if corrupt_mac:
            mac[0] ^= 0x01
        return out + tlv.encode(0x8E, bytes(mac)) + sw.to_bytes(2, "big")


class TripleDesSM(CardSM):
    """3DES secure messaging established by BAC (ICAO 9303-11 §9.8.6.1)."""

    block = 8
    ssc_len = 8

    def _mac(self, data: bytes) -> bytes:
        return _retail_mac_padded(self.k_mac, data)

    def _encrypt(self, data: bytes) -> bytes:
        return des3_encrypt(self.k_enc, data)

    def _decrypt(self, data: bytes) -> bytes:
        return des3_decrypt(self.k_enc, data)


class AesSM(CardSM):
    """AES secure messaging after PACE / CA (ICAO 9303-11 §9.8.6.2): IV = E(K_enc, SSC),
    MAC = AES-CMAC truncated to 8 bytes, 16-byte SSC (starts at 0)."""

    block = 16
    ssc_len = 16

    def __init__(self, k_enc: bytes, k_mac: bytes, ssc: int = 0) -> None:
        super().__init__(k_enc, k_mac, ssc)

    def _mac(self, data: bytes) -> bytes:
        return CMAC.new(self.k_mac, msg=data, ciphermod=AES).digest()[:8]

    def _iv(self) -> bytes:
        return AES.new(self.k_enc, AES.MODE_ECB).encrypt(self._ssc_bytes())

    def _encrypt(self, data: bytes) -> bytes:
        return AES.new(self.k_enc, AES.MODE_CBC, iv=self._iv()).encrypt(data)

    def _decrypt(self, data: bytes) -> bytes:
        return AES.new(self.k_enc, AES.MODE_CBC, iv=self._iv()).decrypt(data)


def _retail_mac_padded(key: bytes, padded: bytes) -> bytes:
    """Retail MAC over data that is already padded to 8 bytes (SM MAC input, §9.8.6.1)."""
    k1, k2 = key[:8], key[8:16]
    h = DES.new(k1, DES.MODE_CBC, iv=bytes(8)).encrypt(padded)[-8:]
    h = DES.new(k2, DES.MODE_ECB).decrypt(h)
    return DES.new(k1, DES.MODE_ECB).encrypt(h)
