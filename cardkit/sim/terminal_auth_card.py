"""Card side of Terminal Authentication v1 for the virtual chip (BSI TR-03110-1 §2.5–2.7, §3.5;
TR-03110-3 B.3, B.11; ICAO 9303-11 §7.1), written from the chip's point of view.

What the chip keeps:
- its trust points: the CVCA public keys it trusts (by CHR), listed in EF.CVCA, persistent;
- its current date: the personalization date, moved forward by the effective date of every
  CVCA (link) and domestic DV certificate it accepts (the chip has no clock);
- per session: the key selected by MSE:SET DST, the keys of certificates verified in this session
  (temporary), the IS certificate, and, after EXTERNAL AUTHENTICATE, the DG3/DG4 rights (the AND
  of the chain's CHATs).

Commands: MSE:SET DST (22 81 B6, 83 CAR) → 6A88 for an unknown key; PSO:VERIFY CERTIFICATE
(2A 00 BE, 7F4E + 5F37) → 6300 when the signature fails, the certificate is expired by the chip's
date, or its issuer may not issue it; MSE:SET AT (22 81 A4, 83 CHR) → 6A88 unless it names the IS
certificate just verified; GET CHALLENGE (base card); EXTERNAL AUTHENTICATE (82) → 6300 for a
signature that does not verify over ID_PICC ‖ r_PICC ‖ Comp(PK_PCD). TA requires Chip
Authentication in this session (6985 otherwise).

Shares with the terminal only the CV certificate codec and signature primitives of
`cardkit.lds.cvc`, never `cardkit.icao`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from dataclasses import dataclass, field
from pathlib import Path

from ..apdu import SW, Command
from ..lds import cvc, tlv
from .card import Reply, VirtualCard

log = logging.getLogger(__name__)
STATE = "ta"
DATA_DIR = Path(__file__).resolve().parent / "data" / "eac"
EF_CVCA_SIZE = 36
CHIP_PERSONALIZATION_DATE = dt.date(2025, 1, 1)
ISSUE_ROLES = {"cvca": ("cvca", "dv_domestic", "dv_foreign"), "dv_domestic": ("terminal",),
               "dv_foreign": ("terminal",), "terminal": ()}


@dataclass
class TrustState:
    """Persistent TA state of one chip."""

    anchors: dict[str, cvc.CVPublicKey] = field(default_factory=dict)  # CHR → domain-complete key
    rights: dict[str, int] = field(default_factory=dict)  # CHR → the CVCA's CHAT rights
    current_date: dt.date = CHIP_PERSONALIZATION_DATE


def default_cvca() -> bytes:
    """The virtual card's TEST CVCA certificate (cardkit/sim/data/eac/cvca.cvcert)."""
    return (DATA_DIR / "cvca.cvcert").read_bytes()


def encode_ef_cvca(cars: list[str]) -> bytes:
    """EF.CVCA: one or two `42` CARs, zero-padded to 36 bytes."""
    body = b"".join(tlv.encode(0x42, c.encode("latin-1")) for c in cars[:2])
    return body.ljust(EF_CVCA_SIZE, b"\x00")


def install(card: VirtualCard) -> None:
    """Enable TA on cards that carry EF.CVCA; they trust the test CVCA unless told otherwise."""
    if "CVCA" not in card.files:
        return
    card.ta_state = TrustState()  # type: ignore[attr-defined]
    set_trust(card, [default_cvca()], update_file=False)
    prev_mse, prev_ea = card.handlers.get(0x22), card.handlers.get(0x82)
    card.handlers[0x22] = lambda c, cmd: _mse(c, cmd, prev_mse)
    card.handlers[0x2A] = _pso
    card.handlers[0x82] = lambda c, cmd: _external_authenticate(c, cmd, prev_ea)


def set_trust(card: VirtualCard, cvca_certificates: list[bytes], *, update_file: bool = True,
              current_date: dt.date | None = None) -> None:
    """Make the chip trust these CVCA certificates (and list them in EF.CVCA)."""
    state: TrustState = card.ta_state  # type: ignore[attr-defined]
    state.anchors.clear()
    state.rights.clear()
    for raw in cvca_certificates:
        cert = cvc.parse_certificate(raw)
        state.anchors[cert.chr] = cert.public_key
        state.rights[cert.chr] = cert.chat.rights
    if current_date is not None:
        state.current_date = current_date
    if update_file:
        card.files["CVCA"] = encode_ef_cvca(list(state.anchors))


def _ta(card: VirtualCard) -> dict:
    return card.session.extra.setdefault(STATE, {"keys": {}, "selected": None, "is": None})


def _mse(card: VirtualCard, cmd: Command, prev) -> Reply:
    if (cmd.p1, cmd.p2) not in ((0x81, 0xB6), (0x81, 0xA4)):
        return prev(card, cmd) if prev else Reply(sw=SW.INS_NOT_SUPPORTED)
    if not card.session.via_sm or not card.session.extra.get("ca_done"):
        return Reply(sw=SW.CONDITIONS_NOT_SATISFIED)  # TA only after Chip Authentication
    try:
        fields = {t.tag: t.value for t in tlv.iter_tlv(cmd.data)}
        name = fields[0x83].decode("latin-1")
    except Exception:
        return Reply(sw=SW.WRONG_DATA)
    ta = _ta(card)
    if cmd.p2 == 0xB6:  # SET DST: the public key that verifies the next certificate
        state: TrustState = card.ta_state  # type: ignore[attr-defined]
        if name in ta["keys"]:
            ta["selected"] = (name, *ta["keys"][name])
        elif name in state.anchors:
            key = state.anchors[name]
            ta["selected"] = (name, key, key, "cvca", state.rights.get(name, 0))
        else:
            ta["selected"] = None
            return Reply(sw=0x6A88)  # referenced data not found
        return Reply()
    # SET AT: the IS certificate that will authenticate
    if ta["is"] is None or ta["is"][0] != name:
        return Reply(sw=0x6A88)
    ta["auth"] = ta["is"]
    return Reply()


def _pso(card: VirtualCard, cmd: Command) -> Reply:
    if (cmd.p1, cmd.p2) != (0x00, 0xBE):
        return Reply(sw=0x6A86)
    if not card.session.via_sm or not card.session.extra.get("ca_done"):
        return Reply(sw=SW.CONDITIONS_NOT_SATISFIED)
    ta = _ta(card)
    selected = ta.get("selected")
    if selected is None:
        return Reply(sw=SW.CONDITIONS_NOT_SATISFIED)
    try:
        cert = cvc.parse_certificate(tlv.encode(cvc.T_CERT, cmd.data))
    except Exception:
        return Reply(sw=SW.WRONG_DATA)
    name, key, domain, issuer_role, issuer_rights = selected
    state: TrustState = card.ta_state  # type: ignore[attr-defined]
    ok = (cert.car == name and cert.role in ISSUE_ROLES.get(issuer_role, ())
          and cert.expiration >= state.current_date
          and _verify(key.with_domain(domain), cert.body, cert.signature))
    if not ok:
        ta["selected"] = None
        return Reply(sw=0x6300)
    rights = issuer_rights & cert.chat.rights  # effective authorization: AND along the chain
    if cert.role in ("cvca", "dv_domestic") and cert.effective > state.current_date:
        state.current_date = cert.effective  # the chip's notion of today moves forward
    new_domain = cert.public_key if cert.public_key.has_domain_parameters else domain
    if cert.role == "cvca":  # a link certificate: the new CVCA key becomes a trust point
        state.anchors[cert.chr] = cert.public_key.with_domain(new_domain)
        state.rights[cert.chr] = cert.chat.rights
        card.files["CVCA"] = encode_ef_cvca([cert.chr, name])
    ta["keys"][cert.chr] = (cert.public_key, new_domain, cert.role, rights)
    if cert.role == "terminal":
        ta["is"] = (cert.chr, cert.public_key.with_domain(new_domain), rights,
                    cert.chat.role_oid)
    ta["selected"] = None
    return Reply()


def _verify(key: cvc.CVPublicKey, data: bytes, signature: bytes) -> bool:
    try:
        obj = cvc.public_key_object(key)
    except Exception:
        return False
    return cvc.verify_signature(key.oid, obj, data, signature)


def _comp(public_key: bytes) -> bytes:
    if public_key[:1] == b"\x04":
        return public_key[1: 1 + (len(public_key) - 1) // 2]
    return hashlib.sha1(public_key).digest()


def _id_picc(card: VirtualCard) -> bytes | None:
    pk = card.session.extra.get("pace_pk_ic")
    if pk is not None:
        return _comp(pk)
    if card.mrz_info is None:
        return None
    return card.mrz_info[:10].encode("ascii")  # document number (9) + its check digit


def _external_authenticate(card: VirtualCard, cmd: Command, prev) -> Reply:
    s = card.session
    if not s.via_sm:
        return prev(card, cmd) if prev else Reply(sw=SW.INS_NOT_SUPPORTED)
    ta = _ta(card)
    auth = ta.pop("auth", None)
    challenge, s.challenge = s.challenge, None
    pk_pcd = s.extra.get("ca_pk_pcd")
    id_picc = _id_picc(card)
    if auth is None or challenge is None or pk_pcd is None or id_picc is None:
        return Reply(sw=SW.CONDITIONS_NOT_SATISFIED)
    _chr, key, rights, role_oid = auth
    if not _verify(key, id_picc + challenge + _comp(pk_pcd), cmd.data):
        s.extra.pop(STATE, None)
        return Reply(sw=0x6300)
    s.terminal_authenticated = True
    allowed = set()
    if role_oid == cvc.ROLE_IS:
        if rights & cvc.CHAT_DG3:
            allowed.add("DG3")
        if rights & cvc.CHAT_DG4:
            allowed.add("DG4")
    s.extra["eac_files"] = frozenset(allowed)
    return Reply()


__all__ = ["TrustState", "default_cvca", "encode_ef_cvca", "install", "set_trust"]
