"""Chip Authentication, terminal side (ICAO 9303-11 §6.2, BSI TR-03110-1 §3.2 version 1).

Ephemeral-static (EC)DH with the chip's static key from DG14, new session keys KDF(K, 1/2),
secure messaging restarted with SSC 0. A chip that does not hold the private key cannot answer
the next protected command, so the check is: CA exchange + one protected SELECT that verifies.
After PACE-CAM the check is the CAM equation instead (§4.4.3.5.2).

`chip_authenticate(session, dg14_bytes, rng) -> CheckResult` never raises for a chip that fails:
that is an "invalid" verdict with the reason. (The check-state model is the one data type this
module takes from cardkit.security; it carries no verification logic.)
"""

from __future__ import annotations

import logging

from ..apdu import Command, Response, sw_text
from ..errors import (
    CardkitError,
    CardRemovedError,
    ParseError,
    ReaderError,
    SecureMessagingError,
    TransmissionError,
)
from ..lds import tlv
from ..lds.dg14 import parse_dg14
from ..lds.security_infos import (
    Algorithm,
    ChipAuthenticationInfo,
    ChipAuthenticationPublicKeyInfo,
    PublicKeyInfo,
    SecurityInfos,
    ca_algorithm,
    ca_oid,
    encode_oid,
)
from ..rand import RandomSource
from ..results import CheckResult, CheckState
from . import crypto
from .domain_params import (
    DhGroup,
    DomainParams,
    by_id,
    curve_by_oid,
    match_curve,
    match_dh_group,
)
from .pace import Group, auth_token, derive_keys, make_sm, random_scalar, verify_cam

log = logging.getLogger(__name__)
NAME = "chip_auth"


class ChipAuthFailed(CardkitError):
    """The chip did not complete Chip Authentication (a verdict, not a crash)."""


def domain_params_of(key: PublicKeyInfo) -> DomainParams:
    """Resolve a DG14 key's domain parameters: named, standardized ID, or explicit values."""
    if key.kind == "EC":
        if key.curve_oid:
            return curve_by_oid(key.curve_oid)
        if key.parameter_id is not None:
            return by_id(key.parameter_id)
        e = key.explicit
        if e:  # explicit values must be a standard curve: a made-up one is the chip's choice
            known = match_curve(e["p"], e["a"], e["b"], e["gx"], e["gy"], e["n"])
            if known is None:
                raise ParseError("DG14: the Chip Authentication key's explicit curve is not a "
                                 "standard curve")
            return known
    if key.kind == "DH":
        if key.parameter_id is not None:
            return by_id(key.parameter_id)
        e = key.explicit
        if e:
            known = match_dh_group(e["p"], e["g"])
            if known is None:
                raise ParseError("DG14: the Chip Authentication key's DH group is not a "
                                 "standard group")
            return known
    raise ParseError(f"DG14: no usable domain parameters for the {key.kind} chip key")


def select_key(infos: SecurityInfos) -> tuple[ChipAuthenticationPublicKeyInfo, Algorithm]:
    """The CA key and protocol to use: ChipAuthenticationInfo matched by keyId; without one,
    CA-(EC)DH-3DES-CBC-CBC is implied (ICAO 9303-11 §9.2.6)."""
    keys = infos.chip_auth_public_keys
    if not keys:
        raise LookupError("no Chip Authentication public key in DG14")
    ca_infos: list[ChipAuthenticationInfo] = [c for c in infos.chip_auth if c.algorithm]
    for key in keys:
        agreement = "ECDH" if key.public_key.kind == "EC" else "DH"
        for info in ca_infos:
            if info.algorithm and info.algorithm.agreement == agreement and (
                    info.key_id is None or key.key_id is None or info.key_id == key.key_id):
                return key, info.algorithm
    key = keys[0]
    agreement = "ECDH" if key.public_key.kind == "EC" else "DH"
    implied = ca_algorithm(ca_oid(agreement, "3DES", 112))
    assert implied is not None
    return key, implied


def perform_chip_auth(session, infos: SecurityInfos, rng: RandomSource) -> dict[str, object]:
    """Run CA with DG14's key, restart SM with the new keys, prove it with one protected SELECT.

    Raises ChipAuthFailed (or a CardError) when the chip does not complete it.
    """
    key, alg = select_key(infos)
    params = domain_params_of(key.public_key)
    group = Group(params)
    chip_public = key.public_key.public
    if isinstance(params, DhGroup):
        chip_public = chip_public.rjust(params.field_bytes, b"\x00")
    group.decode(chip_public)  # validates the chip's key before we use it
    sk = random_scalar(rng, group.order, "ca.sk_eph")
    pk = group.public(sk)
    key_ref = b""
    if key.key_id is not None:
        kid = key.key_id.to_bytes(max(1, (key.key_id.bit_length() + 7) // 8), "big")
        key_ref = tlv.encode(0x84, kid)

    nonce = token = None
    if alg.cipher == "3DES":  # MSE:Set KAT (ICAO 9303-11 §6.2.4.1)
        resp = session.send(Command(0x00, 0x22, 0x41, 0xA6, tlv.encode(0x91, pk) + key_ref))
        _ok(resp.sw, "MSE:Set KAT")
    else:  # MSE:Set AT + GENERAL AUTHENTICATE (ICAO 9303-11 §6.2.4.2)
        body = tlv.encode(0x80, encode_oid(alg.oid)[2:]) + key_ref
        _ok(session.send(Command(0x00, 0x22, 0x41, 0xA4, body)).sw, "MSE:Set AT")
        ga = Command(0x00, 0x86, 0x00, 0x00, tlv.encode(0x7C, tlv.encode(0x80, pk)), le=256)
        resp = session.send(ga)
        _ok(resp.sw, "GENERAL AUTHENTICATE")
        nonce, token = _ca2_reply(resp.data)

    secret = group.shared_secret(sk, chip_public)
    if nonce is None:  # CA version 1: keys from K
        ks_enc, ks_mac = derive_keys(secret, alg)
    else:  # CA version 2 (TR-03110-1 §3.4): keys from K || r_PICC, token T_PICC checked
        ks_enc, ks_mac = derive_keys(secret + nonce, alg)
        expected = auth_token(ks_mac, alg.oid, params, pk, alg)
        if token is None or not crypto.equal(expected, token):
            raise ChipAuthFailed("the chip's authentication token T_PICC is wrong")
    session.sm = make_sm(alg, ks_enc, ks_mac)
    session.ca_terminal_public = pk  # Terminal Authentication signs Comp(PK_PCD)
    resp = _prove(session)
    _ok(resp.sw, "protected SELECT after Chip Authentication")
    curve = params.name
    return {"protocol": alg.name, "key_id": key.key_id, "domain_parameters": curve}


def _prove(session) -> Response:
    """The proof: a protected command only a chip holding the private key answers correctly.

    A wrong MAC under the new keys is what a chip without the key produces, and also what one
    garbled transmission looks like; the SSC stays in step, so the proof is asked once more:
    a chip holding the key answers the second time, a clone fails again."""
    select = Command(0x00, 0xA4, 0x02, 0x0C, b"\x01\x1e")
    try:
        return session.send(select)
    except SecureMessagingError as first:
        log.info("Chip Authentication proof failed once (%s); asking again", first)
    try:
        return session.send(select)
    except SecureMessagingError:
        raise ChipAuthFailed("the chip's answers under the Chip Authentication session keys "
                             "failed their integrity check twice: it does not hold the DG14 "
                             "private key") from None


def _ca2_reply(data: bytes) -> tuple[bytes | None, bytes | None]:
    """GENERAL AUTHENTICATE answer: empty 7C (version 1) or 7C { 81 r_PICC, 82 T_PICC } (v2)."""
    if not data:
        return None, None
    outer = tlv.parse(data, 0x7C)
    nonce = outer.find(0x81)
    token = outer.find(0x82)
    return (nonce.value if nonce else None), (token.value if token else None)


def _ok(sw: int, what: str) -> None:
    if sw != 0x9000:
        raise ChipAuthFailed(f"the chip refused {what}: {sw_text(sw)}")


def chip_authenticate(session, dg14_bytes: bytes | None, rng: RandomSource) -> CheckResult:
    """Chip Authentication as a verdict: valid / invalid (+ reason) / not_supported."""
    if not dg14_bytes:
        return CheckResult(NAME, CheckState.NOT_SUPPORTED, "no DG14 on the chip")
    try:
        infos = parse_dg14(dg14_bytes)
    except ParseError as exc:
        # DG14 is the issuer's (its hash is checked by passive authentication): a malformed
        # one means CA cannot run — no proof either way, not a clone
        return CheckResult(NAME, CheckState.UNVERIFIABLE,
                           f"Chip Authentication cannot run: DG14 is malformed ({exc})")
    if not infos.chip_auth_public_keys:
        return CheckResult(NAME, CheckState.NOT_SUPPORTED, "DG14 holds no Chip Authentication key")

    try:
        domain_params_of(select_key(infos)[0].public_key)
    except ParseError as exc:  # issuer-signed data cardkit cannot use: no verdict either way
        return CheckResult(NAME, CheckState.UNVERIFIABLE,
                           f"Chip Authentication cannot run: {exc}")
    pace_result = getattr(session, "pace_result", None)
    if pace_result is not None and getattr(pace_result, "cam_data", None) is not None:
        return _cam_verdict(pace_result, infos)
    try:
        details = perform_chip_auth(session, infos, rng)
    except (CardRemovedError, ReaderError, SecureMessagingError, TransmissionError):
        raise  # the card left, or the link garbled an answer: an error (read again), no verdict
    except (CardkitError, LookupError, ValueError, ArithmeticError) as exc:
        log.info("Chip Authentication failed: %s", exc)
        return CheckResult(NAME, CheckState.INVALID,
                           f"the chip failed Chip Authentication ({exc})")
    return CheckResult(NAME, CheckState.VALID, "the chip proved it holds the DG14 private key",
                       details)


def _cam_verdict(pace_result, infos: SecurityInfos) -> CheckResult:
    for key in infos.chip_auth_public_keys:
        if key.public_key.kind != "EC":
            continue
        try:
            if verify_cam(pace_result, key.public_key.public):
                return CheckResult(NAME, CheckState.VALID,
                                   "PACE-CAM: the chip proved it holds the DG14 private key",
                                   {"protocol": pace_result.algorithm.name, "key_id": key.key_id})
        except (ParseError, ValueError):
            continue
    return CheckResult(NAME, CheckState.INVALID,
                       "PACE-CAM: the chip's authentication data does not match the DG14 key")
