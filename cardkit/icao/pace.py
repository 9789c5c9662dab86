"""PACE, terminal side (ICAO 9303-11 §4.4, BSI TR-03110-2 §3.2; worked example 9303-11 App. G).

Generic Mapping (GM) with ECDH on every standardized curve and with DH (RFC 5114 groups), and
Chip Authentication Mapping (CAM, §4.4.3.5). Integrated Mapping is recognised but not run.
Password: MRZ (SHA-1 of MRZ_information) or CAN. Ciphers: 3DES (retail MAC) and AES-128/192/256
(CMAC). Every ephemeral key comes from the injected `RandomSource`.

Entry point used by the reader: `perform_pace(session, key, card_access_bytes, rng)`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Protocol

from ..apdu import Command, Response, sw_text
from ..errors import AccessDeniedError, CardError, ParseError, SecureMessagingError, StatusWordError
from ..i18n import N_
from ..lds import tlv
from ..lds.card_access import parse_card_access
from ..lds.security_infos import Algorithm, Mapping, PaceInfo, encode_oid
from ..rand import RandomSource
from . import crypto
from .domain_params import DhGroup, DomainParams, EcCurve, by_id
from .keys import CanKey, MrzKey, kdf, password_bytes

log = logging.getLogger(__name__)

KDF_ENC, KDF_MAC, KDF_PI = 1, 2, 3
PASSWORD_REF = {"MRZ": 0x01, "CAN": 0x02}  # MSE:Set AT tag 83 (TR-03110-3 Table B.1... / 9303-11 §4.4.4.1)


class Session(Protocol):
    """What PACE needs from a card session: `send` a command, and an `sm` slot to install."""

    sm: object

    def send(self, command: Command) -> Response: ...


@dataclass(frozen=True)
class PaceResult:
    """Outcome of a successful PACE run. Keys stay out of `repr`."""

    algorithm: Algorithm
    parameter_id: int
    password: str  # "MRZ" or "CAN"
    terminal_public_key: bytes  # PK_IFD (ephemeral, encoded)
    chip_public_key: bytes  # PK_IC (ephemeral, encoded); CA binds to it (TR-03110-2 §3.4)
    chip_mapping_key: bytes = b""  # PK_Map,IC: CAM checks it against DG14's static key
    cam_data: bytes | None = None  # CA_IC decrypted (CAM only)
    session_keys: tuple[bytes, bytes] = field(default=(b"", b""), repr=False, compare=False)

    @property
    def protocol(self) -> str:
        return self.algorithm.oid

    @property
    def mapping(self) -> Mapping:
        assert self.algorithm.mapping is not None
        return self.algorithm.mapping


# --- primitives shared by PACE and CA (also used by tests with the published values) ---------


def cipher_key_bytes(algorithm: Algorithm) -> int:
    return 16 if algorithm.cipher == "3DES" else algorithm.key_bits // 8


def derive_keys(secret: bytes, algorithm: Algorithm) -> tuple[bytes, bytes]:
    """(KS_enc, KS_mac) = KDF(K, 1), KDF(K, 2) (ICAO 9303-11 §9.7.1)."""
    return (kdf(secret, KDF_ENC, algorithm.cipher, algorithm.key_bits),
            kdf(secret, KDF_MAC, algorithm.cipher, algorithm.key_bits))


def password_key(key: MrzKey | CanKey, algorithm: Algorithm) -> bytes:
    """K_π = KDF(f(π), 3) (ICAO 9303-11 §9.7.3)."""
    return kdf(password_bytes(key), KDF_PI, algorithm.cipher, algorithm.key_bits)


def decrypt_nonce(k_pi: bytes, z: bytes, algorithm: Algorithm) -> bytes:
    """s = D(K_π, z): CBC with a zero IV (ICAO 9303-11 §4.4.3.2)."""
    if algorithm.cipher == "3DES":
        if len(z) != 8:
            raise ParseError(f"PACE: encrypted nonce of {len(z)} bytes (8 expected for 3DES)")
        return crypto.des3_decrypt(k_pi, z)
    if len(z) % 16 or not z:
        raise ParseError(f"PACE: encrypted nonce of {len(z)} bytes is not whole AES blocks")
    return crypto.aes_decrypt(k_pi, z)


def mac(key: bytes, data: bytes, algorithm: Algorithm) -> bytes:
    """The 8-byte MAC of the chosen cipher: retail MAC over padded data, or AES-CMAC."""
    if algorithm.cipher == "3DES":
        return crypto.retail_mac(key, crypto.pad(data, 8))
    return crypto.aes_cmac(key, data, 8)


def public_key_data_object(oid: str, params: DomainParams, public: bytes) -> bytes:
    """7F49 { 06 OID, 86 point } (EC) or 7F49 { 06 OID, 84 y } (DH) (TR-03110-3 D.3.4)."""
    tag = 0x86 if isinstance(params, EcCurve) else 0x84
    return tlv.encode(0x7F49, encode_oid(oid) + tlv.encode(tag, public))


def auth_token(ks_mac: bytes, oid: str, params: DomainParams, other_public: bytes,
               algorithm: Algorithm) -> bytes:
    """T = MAC(KS_mac, PK of the other side as a data object) (ICAO 9303-11 §4.4.3.4)."""
    return mac(ks_mac, public_key_data_object(oid, params, other_public), algorithm)


def random_scalar(rng: RandomSource, order: int, purpose: str) -> int:
    """A private key in [1, order-1] drawn from `rng` (rejection sampling, bounded)."""
    size = (order.bit_length() + 7) // 8
    mask = (1 << order.bit_length()) - 1  # e.g. P-521: 66 bytes drawn, top 7 bits dropped
    for _ in range(64):
        k = int.from_bytes(rng(size, purpose), "big") & mask
        if 0 < k < order:
            return k
    raise CardError("random source keeps producing out-of-range keys")


class Group:
    """Key agreement over EC or DH domain parameters with a (possibly mapped) generator."""

    def __init__(self, params: DomainParams, generator: object | None = None) -> None:
        self.params = params
        if isinstance(params, EcCurve):
            self.generator = generator if generator is not None else params.g
        else:
            self.generator = generator if generator is not None else params.g

    @property
    def order(self) -> int:
        return self.params.n if isinstance(self.params, EcCurve) else self.params.q

    def public(self, sk: int) -> bytes:
        if isinstance(self.params, EcCurve):
            return self.params.encode_point(self.params.mul(sk, self.generator))
        return self.params.encode_public(pow(self.generator, sk, self.params.p))

    def decode(self, data: bytes) -> object:
        if isinstance(self.params, EcCurve):
            return self.params.decode_point(data)
        return self.params.decode_public(data)

    def agree_point(self, sk: int, other: bytes) -> object:
        """The shared element: a point (EC) or an integer (DH)."""
        if isinstance(self.params, EcCurve):
            pt = self.params.mul(sk, self.params.decode_point(other))
            if pt is None:
                raise ParseError("key agreement gave the point at infinity")
            return pt
        y = self.params.decode_public(other)
        return pow(y, sk, self.params.p)

    def shared_secret(self, sk: int, other: bytes) -> bytes:
        """K: the x-coordinate (EC, TR-03111 ECKA) or g^xy padded to |p| (DH)."""
        shared = self.agree_point(sk, other)
        if isinstance(self.params, EcCurve):
            return shared[0].to_bytes(self.params.field_bytes, "big")  # type: ignore[index]
        return shared.to_bytes(self.params.field_bytes, "big")  # type: ignore[union-attr]

    def map_generic(self, s: bytes, sk_map: int, chip_map_public: bytes) -> Group:
        """Generic Mapping: G~ = s·G + H (EC) or g~ = g^s · h (DH) (ICAO 9303-11 §4.4.3.3.1)."""
        nonce = int.from_bytes(s, "big")
        h = self.agree_point(sk_map, chip_map_public)
        if isinstance(self.params, EcCurve):
            c = self.params
            g_new = c.add(c.mul(nonce, c.g), h)  # type: ignore[arg-type]
            if g_new is None:
                raise ParseError("PACE mapping gave the point at infinity")
            return Group(c, g_new)
        d = self.params
        g_new = pow(d.g, nonce, d.p) * h % d.p  # type: ignore[operator]
        if g_new == 1:
            raise ParseError("PACE mapping gave the neutral element")
        return Group(d, g_new)


# --- dynamic authentication data (7C) ---------------------------------------------------------


def dynamic_auth_data(tag: int | None = None, value: bytes = b"") -> bytes:
    return tlv.encode(0x7C, tlv.encode(tag, value) if tag is not None else b"")


def parse_dynamic_auth_data(data: bytes, what: str) -> dict[int, bytes]:
    try:
        outer = tlv.parse(data, 0x7C)
        return {t.tag: t.value for t in outer.children()}
    except ParseError as e:
        raise SecureMessagingError(f"PACE {what}: chip answer is not dynamic authentication data "
                                   f"({e})") from None


# --- protocol ---------------------------------------------------------------------------------


def choose_pace_info(infos: list[PaceInfo]) -> PaceInfo:
    """The first PACEInfo we can run (GM or CAM, standardized domain parameters)."""
    usable = [p for p in infos if p.algorithm is not None
              and p.algorithm.mapping in (Mapping.GM, Mapping.CAM)
              and p.parameter_id is not None and _has_params(p.parameter_id)]
    if not usable:
        raise CardError("the chip offers PACE only in a variant cardkit does not support "
                        "(Integrated Mapping or proprietary parameters) — read with --access bac")
    # prefer CAM (it also authenticates the chip), then the chip's order
    usable.sort(key=lambda p: 0 if p.algorithm and p.algorithm.mapping is Mapping.CAM else 1)
    return usable[0]


def _has_params(pid: int) -> bool:
    try:
        by_id(pid)
        return True
    except ParseError:
        return False


def perform_pace(session: Session, key: MrzKey | CanKey, card_access_bytes: bytes,
                 rng: RandomSource, *, pace_info: PaceInfo | None = None,
                 send_parameter_id: bool = True) -> PaceResult:
    """Run PACE and install the new secure messaging on `session.sm` (ICAO 9303-11 §4.4.4).

    Raises AccessDeniedError when the chip rejects the password (wrong MRZ or CAN).
    """
    if pace_info is None:
        pace_info = choose_pace_info(parse_card_access(card_access_bytes).pace)
    alg = pace_info.algorithm
    if alg is None or pace_info.parameter_id is None:
        raise CardError("PACEInfo without a usable algorithm or domain parameters")
    params = by_id(pace_info.parameter_id)
    if (alg.agreement == "ECDH") != isinstance(params, EcCurve):
        raise CardError(f"PACE {alg.name} does not fit domain parameters {pace_info.parameter_id}")
    password = "MRZ" if isinstance(key, MrzKey) else "CAN"

    # MSE:Set AT (ICAO 9303-11 §4.4.4.1)
    body = tlv.encode(0x80, encode_oid(alg.oid)[2:]) + tlv.encode(0x83, bytes((PASSWORD_REF[password],)))
    if send_parameter_id:
        body += tlv.encode(0x84, bytes((pace_info.parameter_id,)))
    _check(session.send(Command(0x00, 0x22, 0xC1, 0xA4, body)), "PACE: MSE:Set AT", first=True)

    # 1. encrypted nonce
    r = _ga(session, dynamic_auth_data(), last=False, what="get nonce")
    z = r.get(0x80)
    if z is None:
        raise SecureMessagingError("PACE: the chip sent no encrypted nonce")
    s = decrypt_nonce(password_key(key, alg), z, alg)

    # 2. mapping
    group = Group(params)
    sk_map = random_scalar(rng, group.order, "pace.sk_map")
    pk_map = group.public(sk_map)
    r = _ga(session, dynamic_auth_data(0x81, pk_map), last=False, what="map nonce")
    pk_map_ic = r.get(0x82)
    if pk_map_ic is None:
        raise SecureMessagingError("PACE: the chip sent no mapping data")
    mapped = group.map_generic(s, sk_map, pk_map_ic)

    # 3. key agreement on the mapped generator
    sk = random_scalar(rng, mapped.order, "pace.sk_eph")
    pk_ifd = mapped.public(sk)
    r = _ga(session, dynamic_auth_data(0x83, pk_ifd), last=False, what="key agreement")
    pk_ic = r.get(0x84)
    if pk_ic is None:
        raise SecureMessagingError("PACE: the chip sent no ephemeral public key")
    if pk_ic == pk_ifd:
        raise SecureMessagingError("PACE: the chip echoed the terminal's public key")
    secret = mapped.shared_secret(sk, pk_ic)
    ks_enc, ks_mac = derive_keys(secret, alg)

    # 4. mutual authentication
    t_ifd = auth_token(ks_mac, alg.oid, params, pk_ic, alg)
    r = _ga(session, dynamic_auth_data(0x85, t_ifd), last=True, what="mutual authentication")
    t_ic = r.get(0x86)
    if t_ic is None or not crypto.equal(t_ic, auth_token(ks_mac, alg.oid, params, pk_ifd, alg)):
        raise SecureMessagingError("PACE: the chip's authentication token is wrong — "
                                   "the chip may not be genuine; read again or use BAC")
    cam_data = None
    if alg.mapping is Mapping.CAM:
        enc = r.get(0x8A)
        if enc is None:
            raise SecureMessagingError("PACE-CAM: the chip sent no chip authentication data")
        cam_data = decrypt_cam_data(ks_enc, enc)

    session.sm = make_sm(alg, ks_enc, ks_mac)
    log.info("PACE %s with parameter set %d established (%s)", alg.name,
             pace_info.parameter_id, password)
    return PaceResult(alg, pace_info.parameter_id, password, pk_ifd, pk_ic, pk_map_ic,
                      cam_data, (ks_enc, ks_mac))


def decrypt_cam_data(ks_enc: bytes, encrypted: bytes) -> bytes:
    """CA_IC = D(KS_enc, A_IC) with IV = E(KS_enc, -1) (ICAO 9303-11 §4.4.3.5.1)."""
    iv = crypto.aes_ecb_block(ks_enc, b"\xff" * 16)
    return crypto.unpad(crypto.aes_decrypt(ks_enc, encrypted, iv))


def make_sm(algorithm: Algorithm, ks_enc: bytes, ks_mac: bytes) -> object:
    """The terminal's secure messaging for the new keys, SSC = 0 (ICAO 9303-11 §9.8)."""
    from . import sm

    if algorithm.cipher == "3DES":
        return sm.TripleDesSM(ks_enc, ks_mac, 0)
    return sm.AesSM(ks_enc, ks_mac, 0)


def _ga(session: Session, data: bytes, *, last: bool, what: str) -> dict[int, bytes]:
    """GENERAL AUTHENTICATE, chained (CLA 10) except the last step (ISO/IEC 7816-4 §5.1.1)."""
    cmd = Command(0x00 if last else 0x10, 0x86, 0x00, 0x00, data, le=256)
    resp = _check(session.send(cmd), f"PACE: {what}", final=last)
    return parse_dynamic_auth_data(resp.data, what)


def _check(resp: Response, what: str, *, first: bool = False, final: bool = False) -> Response:
    """Map the chip's PACE answers to errors a teller can act on."""
    sw = resp.sw
    if sw == 0x9000:
        return resp
    if sw & 0xFFF0 == 0x63C0 or sw == 0x6300 or (final and sw in (0x6982, 0x6A80, 0x6985)):
        if sw & 0xFFF0 == 0x63C0:
            raise AccessDeniedError(N_("The chip rejected the access key ({left} tries left): "
                                       "check the CAN (last 6 digits of the ID) or the ID number "
                                       "and dates, then retry"), left=sw & 0x0F)
        raise AccessDeniedError(N_("The chip rejected the access key: check the CAN (last 6 "
                                   "digits of the ID) or the ID number and dates, then retry"))
    if sw == 0x6983:
        raise AccessDeniedError(N_("The chip has blocked this access key after too many wrong "
                                   "tries"))
    if sw == 0x6984:
        raise AccessDeniedError(N_("The chip's access key is deactivated (suspended) — use the "
                                   "CAN"))
    if first and sw in (0x6A80, 0x6A88, 0x6985, 0x6A86):
        raise StatusWordError(f"{what}: the chip refused these PACE parameters, {sw_text(sw)} — "
                              f"read with --access bac", sw)
    raise StatusWordError(f"{what}: card answered {sw_text(sw)}", sw)


def verify_cam(result: PaceResult, chip_public_key: bytes) -> bool:
    """CAM check: PK_Map,IC == CA_IC · PK_IC, with PK_IC the static key from DG14 (§4.4.3.5.2)."""
    if result.cam_data is None:
        raise ValueError("not a PACE-CAM result")
    params = by_id(result.parameter_id)
    if not isinstance(params, EcCurve):
        return False
    ca_ic = int.from_bytes(result.cam_data, "big")
    if not 0 < ca_ic < params.n:
        return False
    expected = params.mul(ca_ic, params.decode_point(chip_public_key))
    return expected is not None and params.encode_point(expected) == result.chip_mapping_key


__all__ = [
    "DhGroup", "Group", "PaceResult", "auth_token", "decrypt_cam_data", "decrypt_nonce",
    "derive_keys", "make_sm", "password_key", "perform_pace", "public_key_data_object",
    "verify_cam",
]
