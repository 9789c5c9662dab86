"""Basic Access Control, terminal side (ICAO 9303-11 §4.3, worked example Appendix D).

GET CHALLENGE → RND.IC; EXTERNAL AUTHENTICATE with E.IFD || M.IFD; check M.IC and the echoed
RND.IFD; derive KS_enc / KS_mac from K.IFD ⊕ K.IC and SSC = RND.IC[4:] || RND.IFD[4:]; install
3DES secure messaging on the session.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..apdu import SW, Command
from ..errors import AccessDeniedError, CardError
from ..i18n import N_
from ..rand import RandomSource
from . import crypto
from .keys import KDF_ENC, KDF_MAC, MrzKey, bac_keys, kdf
from .sm import TripleDesSM

if TYPE_CHECKING:
    from .session import CardSession

ACCESS_DENIED = N_("access denied: check the ID number, date of birth and expiry")
_DENIED_SW = (0x6300, SW.SECURITY_STATUS, SW.REFERENCE_DATA_UNUSABLE, SW.AUTH_METHOD_BLOCKED)


def perform_bac(session: CardSession, key: MrzKey, rng: RandomSource) -> None:
    """Run BAC with `key` and install `TripleDesSM` on `session` (ICAO 9303-11 §4.3.4).

    Raises AccessDeniedError when the chip refuses the key or its answer does not authenticate.
    """
    if not isinstance(key, MrzKey):
        raise TypeError("BAC needs an MrzKey (ID number, date of birth, date of expiry)")
    session.sm = None  # BAC itself runs unprotected
    k_enc, k_mac = bac_keys(key)
    rnd_ic = session.send(Command(0x00, 0x84, 0x00, 0x00, le=8)).check(
        "BAC: asking the chip for a challenge").data
    if len(rnd_ic) != 8:
        raise CardError(f"BAC: the chip's challenge has {len(rnd_ic)} bytes instead of 8")
    rnd_ifd = rng(8, "bac.rnd_ifd")
    k_ifd = rng(16, "bac.k_ifd")
    e_ifd = crypto.des3_encrypt(k_enc, rnd_ifd + rnd_ic + k_ifd)
    m_ifd = crypto.retail_mac(k_mac, crypto.pad(e_ifd))
    resp = session.send(Command(0x00, 0x82, 0x00, 0x00, e_ifd + m_ifd, le=40))
    if resp.sw in _DENIED_SW or (resp.sw >> 8) == 0x63:
        raise AccessDeniedError(ACCESS_DENIED)
    resp.check("BAC: mutual authentication")
    if len(resp.data) != 40:
        raise AccessDeniedError(ACCESS_DENIED)
    e_ic, m_ic = resp.data[:32], resp.data[32:]
    if not crypto.equal(crypto.retail_mac(k_mac, crypto.pad(e_ic)), m_ic):
        raise AccessDeniedError(ACCESS_DENIED)
    plain = crypto.des3_decrypt(k_enc, e_ic)
    if not (crypto.equal(plain[:8], rnd_ic) and crypto.equal(plain[8:16], rnd_ifd)):
        raise AccessDeniedError(ACCESS_DENIED)
    k_ic = plain[16:32]
    seed = bytes(a ^ b for a, b in zip(k_ifd, k_ic, strict=True))
    ssc = rnd_ic[4:] + rnd_ifd[4:]
    session.sm = TripleDesSM(kdf(seed, KDF_ENC, "3DES"), kdf(seed, KDF_MAC, "3DES"), ssc)
    session.access_method = "bac"
