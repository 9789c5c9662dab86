"""Terminal Authentication version 1, terminal side (ICAO 9303-11 §7.1, BSI TR-03110-1 §3.5 / -3 B.3).

Runs after Chip Authentication, inside its secure messaging:

1. READ EF.CVCA (FID 011C, SFI 1C in the eMRTD application): the CARs of the CVCA keys the chip
   trusts (one or two `42` objects, zero-padded to 36 bytes).
2. For each certificate of the chain, issuer first (link certificates, DV, IS):
   MSE:SET DST `00 22 81 B6 {83 CAR}` + PSO:VERIFY CERTIFICATE `00 2A 00 BE {7F4E body, 5F37}`.
3. MSE:SET AT `00 22 81 A4 {83 CHR of the IS certificate}`.
4. GET CHALLENGE `00 84 00 00 08` → r_PICC.
5. EXTERNAL AUTHENTICATE `00 82 00 00 {signature}`: the IS key signs
   ID_PICC ‖ r_PICC ‖ Comp(PK_PCD), where PK_PCD is the terminal's ephemeral CA public key,
   Comp(EC point) its x-coordinate, ID_PICC the MRZ document number with its check digit (BAC)
   or Comp(chip's ephemeral PACE key) (PACE) (TR-03110-1 §3.5, -3 B.3).

Every refusal raises `TerminalAuthError` with a `reason` code and a sentence a teller can act on.
The chain is chosen and the key is held elsewhere: this module takes the ordered certificates and
a `sign(data, oid) -> signature` callable, so a PKCS#11 token can sign.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..apdu import Command, sw_text
from ..errors import CardkitError, StatusWordError
from ..lds import cvc, tlv
from ..lds.files import CVCA

log = logging.getLogger(__name__)

Signer = Callable[[bytes, str], bytes]
EF_CVCA_SIZE = 36


class TerminalAuthError(CardkitError):
    """Terminal Authentication did not succeed; `reason` is a stable code."""

    def __init__(self, message: str, reason: str, sw: int | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.sw = sw


@dataclass(frozen=True)
class TerminalAuthResult:
    chain: tuple[str, ...]  # CHRs submitted, issuer first
    trusted_cars: tuple[str, ...]
    is_chr: str
    dg3_allowed: bool
    dg4_allowed: bool
    apdus: int


def parse_ef_cvca(data: bytes) -> list[str]:
    """CARs in EF.CVCA (TR-03110-3 A.6.2.2): up to two `42` objects, then zero padding."""
    if data[:1] != b"\x42":
        raise TerminalAuthError("the chip does not offer Terminal Authentication (its EF.CVCA "
                                "names no CVCA); its fingerprints cannot be read", "no_eac")
    cars = []
    pos = 0
    while pos < len(data) and data[pos] == 0x42 and len(cars) < 2:
        t, pos = tlv.parse_one(data, pos)
        cars.append(t.value.decode("latin-1"))
    if any(data[pos:]):
        raise TerminalAuthError("EF.CVCA is malformed (bytes after its CARs are not padding)",
                                "malformed_cvca")
    return cars


def read_ef_cvca(session) -> list[str]:
    """Select and read EF.CVCA; TerminalAuthError("no_eac") when the chip has none."""
    try:
        session.select_ef(CVCA.fid)
        data = session.read_binary(0, EF_CVCA_SIZE)
    except StatusWordError as exc:
        raise TerminalAuthError(
            f"the chip does not offer Terminal Authentication (no EF.CVCA: {sw_text(exc.sw)}); "
            "its fingerprints cannot be read", "no_eac", exc.sw) from None
    cars = parse_ef_cvca(data)
    if not cars:
        raise TerminalAuthError("EF.CVCA names no CVCA: the chip trusts no terminal",
                                "no_eac")
    return cars


def compress(public_key: bytes) -> bytes:
    """Comp(PK) (TR-03110-3 A.2.2.3): x-coordinate of an EC point, SHA-1 of a DH value."""
    if public_key[:1] == b"\x04" and len(public_key) % 2 == 1:
        return public_key[1: 1 + (len(public_key) - 1) // 2]
    return hashlib.sha1(public_key).digest()


def id_picc(session) -> bytes:
    """ID_PICC: Comp(chip's ephemeral PACE key) after PACE; the MRZ document number with its
    check digit after BAC."""
    pace_result = getattr(session, "pace_result", None)
    if pace_result is not None:
        return compress(pace_result.chip_public_key)
    doc = getattr(session, "document_number_cd", None)
    if not doc:
        raise TerminalAuthError("Terminal Authentication needs the document number (BAC) or a "
                                "PACE session", "no_session")
    return doc.encode("ascii")


def effective_rights(chain: Sequence[cvc.CVCertificate]) -> tuple[bool, bool]:
    """(DG3, DG4) read rights of the chain: the AND of all CHATs (TR-03110-1 §2.7)."""
    dg3 = all(c.chat.rights & cvc.CHAT_DG3 for c in chain)
    dg4 = all(c.chat.rights & cvc.CHAT_DG4 for c in chain)
    return dg3, dg4


def perform_terminal_auth(session, chain: Sequence[cvc.CVCertificate], sign: Signer, *,
                          trusted: Sequence[str] | None = None,
                          start_apdus: int | None = None) -> TerminalAuthResult:
    """Run TA with `chain` (issuer first, IS certificate last). `session` must have completed
    Chip Authentication (its ephemeral public key in `session.ca_terminal_public`); `trusted`:
    the CARs of EF.CVCA when already read."""
    ca_public = getattr(session, "ca_terminal_public", None)
    if ca_public is None:
        raise TerminalAuthError("Terminal Authentication needs a successful Chip "
                                "Authentication first", "ca_required")
    if not chain or chain[-1].role != "terminal":
        raise TerminalAuthError("the terminal chain has no inspection-system certificate",
                                "no_is_certificate")
    start = session.stats.apdus if start_apdus is None else start_apdus
    trusted = list(trusted) if trusted is not None else read_ef_cvca(session)
    if chain[0].car not in trusted:
        raise TerminalAuthError(
            f"the terminal chain starts at CVCA {chain[0].car}, but this chip trusts only "
            f"{', '.join(trusted)}: use a chain from the card's issuing state", "unknown_cvca")
    for cert in chain:
        resp = session.send(Command(0x00, 0x22, 0x81, 0xB6,
                                    tlv.encode(0x83, cert.car.encode("latin-1"))))
        if resp.sw == 0x6985:
            raise TerminalAuthError("the chip refuses Terminal Authentication before Chip "
                                    "Authentication (6985)", "ca_required", resp.sw)
        if resp.sw != 0x9000:
            raise TerminalAuthError(
                f"the chip does not know the key {cert.car} that signed {cert.chr} "
                f"({sw_text(resp.sw)}): the chain does not lead to a CVCA it trusts",
                "unknown_cvca", resp.sw)
        body = cert.body + tlv.encode(cvc.T_SIG, cert.signature)
        resp = session.send(Command(0x00, 0x2A, 0x00, 0xBE, body))
        if resp.sw != 0x9000:
            raise _refused(cert, resp.sw)
    is_cert = chain[-1]
    resp = session.send(Command(0x00, 0x22, 0x81, 0xA4,
                                tlv.encode(0x83, is_cert.chr.encode("latin-1"))))
    if resp.sw != 0x9000:
        raise TerminalAuthError(f"the chip refused MSE:SET AT for {is_cert.chr} "
                                f"({sw_text(resp.sw)})", "refused", resp.sw)
    resp = session.send(Command(0x00, 0x84, 0x00, 0x00, le=8))
    if resp.sw != 0x9000 or len(resp.data) != 8:
        raise TerminalAuthError(f"the chip gave no challenge ({sw_text(resp.sw)})", "refused",
                                resp.sw)
    to_sign = id_picc(session) + resp.data + compress(ca_public)
    signature = sign(to_sign, is_cert.public_key.oid)
    resp = session.send(Command(0x00, 0x82, 0x00, 0x00, signature))
    if resp.sw != 0x9000:
        raise TerminalAuthError(
            f"the chip refused the terminal's signature ({sw_text(resp.sw)}): the terminal key "
            f"does not belong to certificate {is_cert.chr}", "signature_refused", resp.sw)
    dg3, dg4 = effective_rights(chain)
    log.info("Terminal Authentication done with %s", is_cert.chr)
    return TerminalAuthResult(tuple(c.chr for c in chain), tuple(trusted), is_cert.chr, dg3, dg4,
                              session.stats.apdus - start)


def _refused(cert: cvc.CVCertificate, sw: int) -> TerminalAuthError:
    import datetime as dt

    today = dt.date.today()
    kind = {"terminal": "inspection-system", "cvca": "CVCA link"}.get(cert.role, "DV")
    if cert.expiration < today:
        return TerminalAuthError(
            f"the {kind} certificate {cert.chr} expired on {cert.expiration.isoformat()}: ask the "
            "Document Verifier for a new one", "expired", sw)
    if cert.effective > today:
        return TerminalAuthError(
            f"the {kind} certificate {cert.chr} is not valid before "
            f"{cert.effective.isoformat()}", "not_yet_valid", sw)
    return TerminalAuthError(
        f"the chip refused the {kind} certificate {cert.chr} ({sw_text(sw)}): its signature does "
        "not verify, it is expired by the chip's date, or its issuer is not allowed to issue it",
        "certificate_refused", sw)


def check_validity(chain: Sequence[cvc.CVCertificate], today) -> None:
    """Refuse locally, before any APDU, a chain the host clock already knows is unusable."""
    for cert in chain:
        if cert.effective > today:
            raise _refused(cert, 0)
        if cert.expiration < today:
            raise _refused(cert, 0)


__all__ = ["TerminalAuthError", "TerminalAuthResult", "check_validity", "compress",
           "effective_rights", "id_picc", "parse_ef_cvca", "perform_terminal_auth",
           "read_ef_cvca"]
