"""Access keys: what the terminal knows before talking to the chip (ICAO 9303-11 §4.2, §4.4.1)."""

from __future__ import annotations

import hashlib

from ..lds.keys import AccessKey, CanKey, MrzKey
from .crypto import adjust_parity

__all__ = ["AccessKey", "CanKey", "MrzKey", "kdf", "bac_seed", "bac_keys", "password_bytes",
           "pace_password_key"]


# --- key derivation (ICAO 9303-11 §9.7) -----------------------------------------------------------

KDF_ENC = 1
KDF_MAC = 2
KDF_PI = 3


def kdf(shared_secret: bytes, counter: int, cipher: str = "3DES", key_bits: int = 128) -> bytes:
    """Key derivation function of ICAO 9303-11 §9.7.1: H(K || c) truncated to the key length.

    3DES (112-bit, two keys): SHA-1, first 16 bytes, DES parity set. AES-128: SHA-1, first 16
    bytes; AES-192: SHA-256, first 24 bytes; AES-256: SHA-256, all 32 bytes.
    """
    if not 0 <= counter <= 0xFFFFFFFF:
        raise ValueError("KDF counter out of range")
    data = bytes(shared_secret) + counter.to_bytes(4, "big")
    if cipher == "3DES":
        if key_bits not in (112, 128):
            raise ValueError("3DES keys are 112 bits (16 bytes)")
        return adjust_parity(hashlib.sha1(data).digest()[:16])
    if cipher == "AES":
        if key_bits == 128:
            return hashlib.sha1(data).digest()[:16]
        if key_bits == 192:
            return hashlib.sha256(data).digest()[:24]
        if key_bits == 256:
            return hashlib.sha256(data).digest()
        raise ValueError("AES key length must be 128, 192 or 256 bits")
    raise ValueError(f"unknown cipher {cipher!r} (3DES or AES)")


def bac_seed(key: MrzKey) -> bytes:
    """K_seed = first 16 bytes of SHA-1(MRZ_information) (ICAO 9303-11 §9.7.2)."""
    return hashlib.sha1(key.mrz_information.encode("ascii")).digest()[:16]


def bac_keys(key: MrzKey) -> tuple[bytes, bytes]:
    """(K_enc, K_mac) of Basic Access Control (ICAO 9303-11 §4.3.2, §9.7.2)."""
    seed = bac_seed(key)
    return kdf(seed, KDF_ENC, "3DES"), kdf(seed, KDF_MAC, "3DES")


def password_bytes(key: MrzKey | CanKey) -> bytes:
    """The PACE password π (ICAO 9303-11 §4.4.3.1): SHA-1(MRZ_information) or the CAN digits."""
    if isinstance(key, MrzKey):
        return hashlib.sha1(key.mrz_information.encode("ascii")).digest()
    if isinstance(key, CanKey):
        return key.can.encode("ascii")
    raise TypeError("access key must be an MrzKey or a CanKey")


def pace_password_key(key: MrzKey | CanKey, cipher: str = "AES", key_bits: int = 128) -> bytes:
    """K_π = KDF_π(π) = KDF(f(π), 3) (ICAO 9303-11 §4.4.3.1, §9.7.3)."""
    return kdf(password_bytes(key), KDF_PI, cipher, key_bits)
