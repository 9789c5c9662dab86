"""Card side of Chip Authentication for the virtual chip (ICAO 9303-11 §6.2, card's view).

MSE:Set AT (41 A4) + GENERAL AUTHENTICATE for AES, MSE:Set KAT (41 A6) for 3DES. The chip's
static key is the persona's `ca_private_key` (a `cryptography` EC key); the shared secret comes
from `cryptography`'s ECDH, so this side shares no key-agreement code with the terminal. A
clone persona holds another private key than DG14 names: the terminal's next protected
command then fails its MAC check.
"""

from __future__ import annotations

import logging

from cryptography.hazmat.primitives.asymmetric import ec

from ..apdu import SW, Command
from ..lds import tlv
from ..lds.dg14 import parse_dg14
from ..lds.security_infos import ca_algorithm, encode_oid
from .card import Reply, VirtualCard
from .sm import AesSM, TripleDesSM, kdf

log = logging.getLogger(__name__)
STATE = "ca"


def install(card: VirtualCard) -> None:
    key = getattr(card.persona, "ca_private_key", None)
    if key is None or "DG14" not in card.files:
        return
    try:
        infos = parse_dg14(card.files["DG14"])
    except Exception:
        return
    algs = [c.algorithm for c in infos.chip_auth if c.algorithm]
    if not algs:
        return
    prev_mse, prev_ga = card.handlers.get(0x22), card.handlers.get(0x86)
    card.handlers[0x22] = lambda c, cmd: _mse(c, cmd, key, algs, prev_mse)
    card.handlers[0x86] = lambda c, cmd: _ga(c, cmd, key, prev_ga)


def _agree(card: VirtualCard, key: ec.EllipticCurvePrivateKey, alg, pk: bytes) -> Reply:
    try:
        peer = ec.EllipticCurvePublicKey.from_encoded_point(key.curve, pk)
        k = key.exchange(ec.ECDH(), peer)
    except ValueError:
        return Reply(sw=SW.WRONG_DATA)
    sm_class = TripleDesSM if alg.cipher == "3DES" else AesSM
    # the answer still goes out under the old keys; the new SM starts with SSC 0 afterwards
    card.install_sm(sm_class(kdf(k, 1, alg.cipher, alg.key_bits), kdf(k, 2, alg.cipher,
                                                                       alg.key_bits), 0))
    card.session.extra["ca_done"] = True
    card.session.extra["ca_pk_pcd"] = bytes(pk)  # Terminal Authentication signs Comp(PK_PCD)
    return Reply(tlv.encode(0x7C, b"") if alg.cipher == "AES" else b"")


def _mse(card: VirtualCard, cmd: Command, key, algs, prev) -> Reply:
    if (cmd.p1, cmd.p2) not in ((0x41, 0xA4), (0x41, 0xA6)):
        return prev(card, cmd) if prev else Reply(sw=SW.INS_NOT_SUPPORTED)
    if card.session.sm is None:
        return Reply(sw=SW.SECURITY_STATUS)  # CA runs inside BAC/PACE secure messaging
    try:
        fields = {t.tag: t.value for t in tlv.iter_tlv(cmd.data)}
    except Exception:
        return Reply(sw=SW.WRONG_DATA)
    if cmd.p2 == 0xA6:  # MSE:Set KAT: the terminal's key comes at once (3DES)
        alg = next((a for a in algs if a.cipher == "3DES"), None)
        if alg is None or 0x91 not in fields:
            return Reply(sw=SW.WRONG_DATA)
        return _agree(card, key, alg, fields[0x91])
    alg = ca_algorithm(_oid_of(fields.get(0x80, b""), algs))
    if alg is None:
        return Reply(sw=SW.WRONG_DATA)
    card.session.extra[STATE] = alg
    return Reply()


def _oid_of(body: bytes, algs) -> str:
    for a in algs:
        if encode_oid(a.oid)[2:] == body:
            return a.oid
    return ""


def _ga(card: VirtualCard, cmd: Command, key, prev) -> Reply:
    alg = card.session.extra.pop(STATE, None)
    if alg is None:
        return prev(card, cmd) if prev else Reply(sw=SW.CONDITIONS_NOT_SATISFIED)
    try:
        data = {t.tag: t.value for t in tlv.parse(cmd.data, 0x7C).children()}
    except Exception:
        return Reply(sw=SW.WRONG_DATA)
    if 0x80 not in data:
        return Reply(sw=SW.WRONG_DATA)
    return _agree(card, key, alg, data[0x80])
