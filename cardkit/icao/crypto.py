"""Symmetric primitives of eMRTD secure messaging (ICAO 9303-11 §9.7, §9.8; ISO/IEC 9797-1).

Small, isolated and vector-tested: padding method 2, the DES retail MAC (MAC algorithm 3),
AES-CMAC, 3DES/AES-CBC with an explicit IV (zero by default), DES parity and a constant-time
compare. Nothing here knows about APDUs.
"""

from __future__ import annotations

import hmac

from Crypto.Cipher import AES, DES, DES3
from Crypto.Hash import CMAC

from ..errors import SecureMessagingError

ZERO_IV8 = bytes(8)
ZERO_IV16 = bytes(16)


def pad(data: bytes, block: int = 8) -> bytes:
    """ISO/IEC 9797-1 padding method 2: append 80, then 00 up to a block boundary."""
    data = bytes(data) + b"\x80"
    return data + b"\x00" * (-len(data) % block)


def unpad(data: bytes) -> bytes:
    """Remove padding method 2; raise SecureMessagingError when it is malformed."""
    end = bytes(data).rstrip(b"\x00")
    if not end or end[-1] != 0x80:
        raise SecureMessagingError("secure messaging: bad padding in the card's answer")
    return end[:-1]


def adjust_parity(key: bytes) -> bytes:
    """Set DES odd parity on every key byte (FIPS 46-3 §3)."""
    out = bytearray()
    for b in key:
        b &= 0xFE
        out.append(b | (bin(b).count("1") + 1) % 2)
    return bytes(out)


def _two_key(key: bytes) -> bytes:
    if len(key) == 16:
        return key + key[:8]
    if len(key) == 24:
        return key
    raise ValueError("3DES key must be 16 or 24 bytes")


def des3_encrypt(key: bytes, data: bytes, iv: bytes = ZERO_IV8) -> bytes:
    """2-key/3-key 3DES-CBC encryption (no padding added)."""
    return DES3.new(_two_key(key), DES3.MODE_CBC, iv=iv).encrypt(data)


def des3_decrypt(key: bytes, data: bytes, iv: bytes = ZERO_IV8) -> bytes:
    """2-key/3-key 3DES-CBC decryption (padding left in place)."""
    if len(data) % 8:
        raise SecureMessagingError("secure messaging: cryptogram is not a whole number of blocks")
    return DES3.new(_two_key(key), DES3.MODE_CBC, iv=iv).decrypt(data)


def aes_encrypt(key: bytes, data: bytes, iv: bytes = ZERO_IV16) -> bytes:
    """AES-CBC encryption (no padding added)."""
    return AES.new(key, AES.MODE_CBC, iv=iv).encrypt(data)


def aes_decrypt(key: bytes, data: bytes, iv: bytes = ZERO_IV16) -> bytes:
    """AES-CBC decryption (padding left in place)."""
    if len(data) % 16:
        raise SecureMessagingError("secure messaging: cryptogram is not a whole number of blocks")
    return AES.new(key, AES.MODE_CBC, iv=iv).decrypt(data)


def aes_ecb_block(key: bytes, block: bytes) -> bytes:
    """E(K, block): one AES block, used for the SM IV E(K_enc, SSC) (ICAO 9303-11 §9.8.6.2)."""
    return AES.new(key, AES.MODE_ECB).encrypt(block)


def retail_mac(key: bytes, data: bytes) -> bytes:
    """ISO/IEC 9797-1 MAC algorithm 3 with DES (retail MAC), data already padded (method 2).

    Single-DES CBC with K_a over all blocks, then decrypt with K_b and encrypt with K_a on the
    last block (ICAO 9303-11 §9.8.6.1).
    """
    if len(key) != 16:
        raise ValueError("retail MAC key must be 16 bytes")
    if not data or len(data) % 8:
        raise ValueError("retail MAC input must be padded to whole 8-byte blocks")
    ka, kb = key[:8], key[8:]
    h = DES.new(ka, DES.MODE_CBC, iv=ZERO_IV8).encrypt(data)[-8:]
    h = DES.new(kb, DES.MODE_ECB).decrypt(h)
    return DES.new(ka, DES.MODE_ECB).encrypt(h)


def aes_cmac(key: bytes, data: bytes, length: int = 8) -> bytes:
    """AES-CMAC (NIST SP 800-38B) truncated to `length` bytes (9303-11 §9.8.6.2: 8 bytes)."""
    return CMAC.new(key, msg=data, ciphermod=AES).digest()[:length]


def equal(a: bytes, b: bytes) -> bool:
    """Constant-time comparison of two MACs or cryptograms."""
    return hmac.compare_digest(a, b)
