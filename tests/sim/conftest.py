"""Helpers for the virtual-card tests: a tiny, independent BAC + 3DES-SM terminal.

Written again here from ICAO 9303-11 §9.7/§9.8 with pycryptodome, on purpose sharing no code with
`cardkit.sim.sm` (card side) or `cardkit.icao` (the real terminal), so each can catch the other.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import pytest
from Crypto.Cipher import DES, DES3


def _parity(k: bytes) -> bytes:
    return bytes((b & 0xFE) | (bin(b & 0xFE).count("1") % 2 == 0) for b in k)


def _kdf(seed: bytes, c: int) -> bytes:
    return _parity(hashlib.sha1(seed + c.to_bytes(4, "big")).digest()[:16])


def _pad(b: bytes) -> bytes:
    b += b"\x80"
    return b + b"\x00" * (-len(b) % 8)


def _mac(key: bytes, msg: bytes) -> bytes:  # msg already padded
    h = DES.new(key[:8], DES.MODE_CBC, iv=bytes(8)).encrypt(msg)[-8:]
    return DES.new(key[:8], DES.MODE_ECB).encrypt(DES.new(key[8:], DES.MODE_ECB).decrypt(h))


def _tlv(tag: int, value: bytes) -> bytes:
    n = len(value)
    ln = bytes((n,)) if n < 0x80 else bytes((0x81, n)) if n < 0x100 else b"\x82" + n.to_bytes(2, "big")
    return bytes((tag,)) + ln + value


def _tlvs(buf: bytes) -> list[tuple[int, bytes]]:
    out, i = [], 0
    while i < len(buf):
        tag = buf[i]
        n = buf[i + 1]
        i += 2
        if n & 0x80:
            k = n & 0x7F
            n = int.from_bytes(buf[i:i + k], "big")
            i += k
        out.append((tag, buf[i:i + n]))
        i += n
    return out


class MacError(Exception):
    pass


class Terminal:
    """BAC + 3DES secure messaging over any `send(apdu) -> response` callable."""

    def __init__(self, send: Callable[[bytes], bytes]) -> None:
        self.send = send
        self.ks_enc = self.ks_mac = b""
        self.ssc = 0

    def sw(self, apdu: bytes) -> int:
        r = self.send(apdu)
        return int.from_bytes(r[-2:], "big")

    def bac(self, mrz_info: str, rnd_ifd: bytes = bytes(range(8)),
            k_ifd: bytes = bytes(range(16, 32))) -> int:
        seed = hashlib.sha1(mrz_info.encode()).digest()[:16]
        k_enc, k_mac = _kdf(seed, 1), _kdf(seed, 2)
        r = self.send(bytes.fromhex("00A4040C07A0000002471001"))
        assert r[-2:] == b"\x90\x00"
        r = self.send(bytes.fromhex("0084000008"))
        assert r[-2:] == b"\x90\x00", r.hex()
        rnd_ic = r[:8]
        e_ifd = DES3.new(k_enc, DES3.MODE_CBC, iv=bytes(8)).encrypt(rnd_ifd + rnd_ic + k_ifd)
        m_ifd = _mac(k_mac, _pad(e_ifd))
        r = self.send(bytes.fromhex("0082000028") + e_ifd + m_ifd + b"\x28")
        sw = int.from_bytes(r[-2:], "big")
        if sw != 0x9000:
            return sw
        e_ic, m_ic = r[:32], r[32:40]
        assert _mac(k_mac, _pad(e_ic)) == m_ic
        plain = DES3.new(k_enc, DES3.MODE_CBC, iv=bytes(8)).decrypt(e_ic)
        assert plain[:8] == rnd_ic and plain[8:16] == rnd_ifd
        s = bytes(a ^ b for a, b in zip(k_ifd, plain[16:32], strict=True))
        self.ks_enc, self.ks_mac = _kdf(s, 1), _kdf(s, 2)
        self.ssc = int.from_bytes(rnd_ic[4:] + rnd_ifd[4:], "big")
        return sw

    def protect(self, cla: int, ins: int, p1: int, p2: int, data: bytes = b"",
                le: int | None = None, extended: bool = False, tamper: bool = False) -> bytes:
        header = bytes((cla | 0x0C, ins, p1, p2))
        dos = b""
        if data:
            enc = DES3.new(self.ks_enc, DES3.MODE_CBC, iv=bytes(8)).encrypt(_pad(data))
            dos += _tlv(0x85, enc) if ins & 1 else _tlv(0x87, b"\x01" + enc)
        if le is not None:
            long_le = extended or le > 256
            le_b = (le % 65536).to_bytes(2, "big") if long_le else bytes((le % 256,))
            dos += _tlv(0x97, le_b)
        self.ssc += 1
        mac_in = self.ssc.to_bytes(8, "big") + _pad(header) + (_pad(dos) if dos else b"")
        mac = bytearray(_mac(self.ks_mac, mac_in))
        if tamper:
            mac[0] ^= 1
        body = dos + _tlv(0x8E, bytes(mac))
        if extended or len(body) > 255:
            return header + b"\x00" + len(body).to_bytes(2, "big") + body + b"\x00\x00"
        return header + bytes((len(body),)) + body + b"\x00"

    def unprotect(self, resp: bytes) -> tuple[bytes, int]:
        sw = int.from_bytes(resp[-2:], "big")
        body = resp[:-2]
        if not body:  # unprotected error (6987 / 6988)
            return b"", sw
        objs = _tlvs(body)
        self.ssc += 1
        covered = b"".join(_tlv(t, v) for t, v in objs if t != 0x8E)
        mac = dict(objs)[0x8E]
        if _mac(self.ks_mac, self.ssc.to_bytes(8, "big") + _pad(covered)) != mac:
            raise MacError("response MAC wrong")
        data = b""
        for t, v in objs:
            if t in (0x87, 0x85):
                c = v[1:] if t == 0x87 else v
                p = DES3.new(self.ks_enc, DES3.MODE_CBC, iv=bytes(8)).decrypt(c)
                data = p.rstrip(b"\x00")[:-1]
        assert dict(objs)[0x99] == resp[-2:]
        return data, sw

    def sm(self, cla: int, ins: int, p1: int, p2: int, data: bytes = b"",
           le: int | None = None, extended: bool = False) -> tuple[bytes, int]:
        return self.unprotect(self.send(self.protect(cla, ins, p1, p2, data, le, extended)))

    def select(self, fid: int) -> int:
        return self.sm(0, 0xA4, 2, 0x0C, fid.to_bytes(2, "big"))[1]

    def read_file(self, fid: int, chunk: int = 0xDF, extended: bool = False) -> bytes:
        assert self.select(fid) == 0x9000
        head, sw = self.sm(0, 0xB0, 0, 0, le=6)
        assert sw == 0x9000
        n = head[1]
        total = 2 + n if n < 0x80 else 2 + (n & 0x7F) + int.from_bytes(head[2:2 + (n & 0x7F)], "big")
        out = bytearray()
        while len(out) < total:
            off = len(out)
            want = min(chunk, total - off)
            if off > 0x7FFF:
                d, sw = self.sm(0, 0xB1, 0, 0, _tlv(0x54, off.to_bytes(3, "big")), le=want + 4,
                                extended=extended)
                assert sw in (0x9000, 0x6282), hex(sw)
                (tag, value), = _tlvs(d)
                assert tag == 0x53
                out += value
            else:
                d, sw = self.sm(0, 0xB0, off >> 8, off & 0xFF, le=want, extended=extended)
                assert sw in (0x9000, 0x6282), hex(sw)
                out += d
        return bytes(out)


@pytest.fixture
def terminal_for() -> Callable[[Callable[[bytes], bytes]], Terminal]:
    return Terminal

