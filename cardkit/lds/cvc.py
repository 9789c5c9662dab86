"""Card-verifiable (CV) certificates and certificate requests (BSI TR-03110-3 §C, ICAO 9303-11 §7.1).

    CV certificate  7F21 { 7F4E body, 5F37 signature }
    body            5F29 CPI (0), 42 CAR, 7F49 public key, 5F20 CHR, 7F4C CHAT,
                    5F25 effective date, 5F24 expiration date, [65 extensions]
    request         7F21 { 7F4E { 5F29, [42 CAR], 7F49 (with domain parameters), 5F20 CHR,
                    [65] }, 5F37 }  — optionally authenticated: 67 { 7F21 ..., 42 CAR, 5F37 }
    public key      7F49 { 06 OID, EC: 81 p, 82 a, 83 b, 84 G, 85 r, 86 Y, 87 f; RSA: 81 n, 82 e }
    CHAT            7F4C { 06 role OID (id-IS/id-AT/id-ST), 53 relative authorization }
    dates           6 bytes, one digit each: Y Y M M D D (TR-03110-3 §D.2.1.3)

ECDSA signatures are plain r ‖ s (TR-03111 §5.2.1). Everything here is data plus the few crypto
primitives both the terminal and the virtual chip need (key objects from the encoded public key,
sign/verify for a TA OID); chain validation lives in `cardkit.security.cv_chain` (terminal) and
`cardkit.sim.terminal_auth_card` (chip).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cache

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from ..errors import ParseError
from . import tlv
from .security_infos import ID_TA, decode_oid, encode_oid

__all__ = [
    "CHAT_DG3", "CHAT_DG4", "CVCertificate", "CVPublicKey", "CertificateRequest", "Chat", "ROLE_IS",
    "TA_ECDSA_SHA256", "encode_certificate", "encode_chat", "encode_request", "parse_certificate",
    "parse_cv", "parse_request",
]

MAX_CV_SIZE = 8192  # a CV certificate with RSA-4096 and full domain parameters is under 2 KB

T_CERT, T_BODY, T_SIG, T_AUTH_REQ = 0x7F21, 0x7F4E, 0x5F37, 0x67
T_CPI, T_CAR, T_PK, T_CHR, T_CHAT = 0x5F29, 0x42, 0x7F49, 0x5F20, 0x7F4C
T_EFFECTIVE, T_EXPIRATION, T_EXTENSIONS, T_TEMPLATE = 0x5F25, 0x5F24, 0x65, 0x53

ID_ROLES = "0.4.0.127.0.7.3.1.2"
ROLE_IS, ROLE_AT, ROLE_ST = ID_ROLES + ".1", ID_ROLES + ".2", ID_ROLES + ".3"
ROLE_NAMES = {ROLE_IS: "inspection system (IS)", ROLE_AT: "authentication terminal (AT)",
              ROLE_ST: "signature terminal (ST)"}

# TR-03110-3 A.6.4: id-TA-RSA (…2.2.2.1.x) and id-TA-ECDSA (…2.2.2.2.x)
TA_RSA, TA_ECDSA = ID_TA + ".1", ID_TA + ".2"
TA_ALGORITHMS: dict[str, tuple[str, str]] = {  # oid -> (scheme, hash)
    TA_RSA + ".1": ("rsa-v1_5", "sha1"), TA_RSA + ".2": ("rsa-v1_5", "sha256"),
    TA_RSA + ".3": ("rsa-pss", "sha1"), TA_RSA + ".4": ("rsa-pss", "sha256"),
    TA_RSA + ".5": ("rsa-v1_5", "sha512"), TA_RSA + ".6": ("rsa-pss", "sha512"),
    TA_ECDSA + ".1": ("ecdsa", "sha1"), TA_ECDSA + ".2": ("ecdsa", "sha224"),
    TA_ECDSA + ".3": ("ecdsa", "sha256"), TA_ECDSA + ".4": ("ecdsa", "sha384"),
    TA_ECDSA + ".5": ("ecdsa", "sha512"),
}
TA_ECDSA_SHA256 = TA_ECDSA + ".3"
_HASHES = {"sha1": hashes.SHA1, "sha224": hashes.SHA224, "sha256": hashes.SHA256,
           "sha384": hashes.SHA384, "sha512": hashes.SHA512}

# CHAT of an inspection system (ICAO 9303-11 §7.1.1, TR-03110-3 C.4.1): one byte,
# b8 b7 = role (11 CVCA, 10 DV domestic, 01 DV foreign, 00 IS), b2 = read DG4 (iris),
# b1 = read DG3 (fingerprint).
CHAT_DG3, CHAT_DG4 = 0x01, 0x02
ROLE_BITS = {0b11: "cvca", 0b10: "dv_domestic", 0b01: "dv_foreign", 0b00: "terminal"}
ROLE_CODES = {v: k for k, v in ROLE_BITS.items()}


@dataclass(frozen=True)
class Chat:
    """Certificate Holder Authorization Template: role OID + relative authorization bits."""

    role_oid: str
    template: bytes

    @property
    def role(self) -> str:
        """"cvca", "dv_domestic", "dv_foreign" or "terminal" (two most significant bits)."""
        return ROLE_BITS[self.template[0] >> 6] if self.template else "terminal"

    @property
    def rights(self) -> int:
        """The authorization bits without the role (as an integer over the whole template)."""
        if not self.template:
            return 0
        n = int.from_bytes(self.template, "big")
        return n & ~(0b11 << (8 * len(self.template) - 2))

    @property
    def read_dg3(self) -> bool:
        return self.role_oid == ROLE_IS and bool(self.rights & CHAT_DG3)

    @property
    def read_dg4(self) -> bool:
        return self.role_oid == ROLE_IS and bool(self.rights & CHAT_DG4)

    def describe(self) -> str:
        kind = ROLE_NAMES.get(self.role_oid, self.role_oid)
        if self.role_oid != ROLE_IS:
            return f"{self.role}, {kind}, rights {self.template.hex().upper()}"
        rights = [n for n, ok in (("read DG3", self.read_dg3), ("read DG4", self.read_dg4)) if ok]
        return f"{self.role}, {kind}, " + (", ".join(rights) if rights else "no read rights")


@dataclass(frozen=True)
class CVPublicKey:
    """7F49: the TA algorithm OID and the key's data objects (tag → bytes)."""

    oid: str
    objects: dict[int, bytes] = field(default_factory=dict)

    @property
    def is_ec(self) -> bool:
        return self.oid.startswith(TA_ECDSA)

    @property
    def has_domain_parameters(self) -> bool:
        return self.is_ec and all(t in self.objects for t in (0x81, 0x82, 0x83, 0x84, 0x85))

    @property
    def algorithm(self) -> str:
        scheme, digest = TA_ALGORITHMS.get(self.oid, ("unknown", "?"))
        return f"{scheme}-{digest}" if scheme != "unknown" else f"unknown ({self.oid})"

    def with_domain(self, domain: CVPublicKey | None) -> CVPublicKey:
        """This key with the domain parameters inherited from `domain` (an EC DV/IS key carries
        only its point 86; the parameters are the CVCA's)."""
        if not self.is_ec or self.has_domain_parameters or domain is None:
            return self
        merged = {t: v for t, v in domain.objects.items() if t in (0x81, 0x82, 0x83, 0x84, 0x85,
                                                                    0x87)}
        merged.update({t: v for t, v in self.objects.items()})
        return CVPublicKey(self.oid, merged)

    def encode(self, *, domain: bool | None = None) -> bytes:
        """7F49; `domain=False` drops EC domain parameters (DV and IS certificates)."""
        keep = self.objects
        if domain is False:
            keep = {t: v for t, v in keep.items() if t == 0x86}
        body = encode_oid(self.oid) + b"".join(tlv.encode(t, keep[t]) for t in sorted(keep))
        return tlv.encode(T_PK, body)


@dataclass(frozen=True)
class CVCertificate:
    """A parsed CV certificate; `body` and `signature` are kept as encoded (for verification)."""

    profile_id: int
    car: str
    public_key: CVPublicKey
    chr: str
    chat: Chat
    effective: dt.date
    expiration: dt.date
    extensions: bytes | None
    signature: bytes
    body: bytes  # the encoded 7F4E, what the signature covers
    raw: bytes

    @property
    def role(self) -> str:
        return self.chat.role

    @property
    def is_self_signed(self) -> bool:
        return self.car == self.chr

    def describe(self) -> list[tuple[str, str]]:
        return [
            ("type", "CV certificate" + (" (self-signed)" if self.is_self_signed else "")),
            ("CPI", str(self.profile_id)), ("CAR", self.car), ("CHR", self.chr),
            ("role", self.chat.describe()),
            ("effective", self.effective.isoformat()), ("expires", self.expiration.isoformat()),
            ("public key", self.public_key.algorithm
             + (", with domain parameters" if self.public_key.has_domain_parameters else "")),
            ("signature", f"{len(self.signature)} bytes"),
        ]


@dataclass(frozen=True)
class CertificateRequest:
    """A CV certificate request (TR-03110-3 §C.2), optionally authenticated (outer signature)."""

    profile_id: int
    car: str | None
    public_key: CVPublicKey
    chr: str
    extensions: bytes | None
    signature: bytes  # inner signature: proof of possession of the new key
    body: bytes
    outer_car: str | None = None
    outer_signature: bytes | None = None
    outer_signed: bytes | None = None  # 7F21 ‖ 42, what the outer signature covers
    raw: bytes = b""

    def describe(self) -> list[tuple[str, str]]:
        rows = [("type", "CV certificate request" + (" (authenticated)" if self.outer_car else "")),
                ("CPI", str(self.profile_id)), ("CAR", self.car or "(none)"), ("CHR", self.chr),
                ("public key", self.public_key.algorithm)]
        if self.outer_car:
            rows.append(("outer CAR", self.outer_car))
        return rows


# --- parsing ---------------------------------------------------------------------------------------


def _text(value: bytes, what: str) -> str:
    if not 1 <= len(value) <= 16:
        raise ParseError(f"CV certificate: {what} must be 1..16 characters")
    try:
        return value.decode("latin-1")
    except UnicodeDecodeError:  # pragma: no cover - latin-1 decodes every byte
        raise ParseError(f"CV certificate: {what} is not text") from None


def decode_date(value: bytes, what: str) -> dt.date:
    if len(value) != 6 or any(b > 9 for b in value):
        raise ParseError(f"CV certificate: {what} is not 6 unpacked BCD digits")
    y, m, d = value[0] * 10 + value[1], value[2] * 10 + value[3], value[4] * 10 + value[5]
    try:
        return dt.date(2000 + y, m, d)
    except ValueError:
        raise ParseError(f"CV certificate: {what} is not a valid date") from None


def encode_date(day: dt.date) -> bytes:
    if not 2000 <= day.year <= 2099:
        raise ValueError("CV certificate dates must lie in 2000-2099")
    return bytes(int(c) for c in day.strftime("%y%m%d"))


def _public_key(t: tlv.TLV) -> CVPublicKey:
    kids = t.children()
    if not kids or kids[0].tag != 0x06:
        raise ParseError("CV certificate: public key has no algorithm OID")
    oid = decode_oid(kids[0].value)
    objects: dict[int, bytes] = {}
    for k in kids[1:]:
        if k.tag in objects or not 0x81 <= k.tag <= 0x87:
            raise ParseError(f"CV certificate: unexpected public key object {k.tag:X}")
        objects[k.tag] = k.value
    if not oid.startswith(ID_TA + "."):
        raise ParseError(f"CV certificate: public key OID {oid} is not a TA algorithm")
    if oid.startswith(TA_ECDSA) and 0x86 not in objects:
        raise ParseError("CV certificate: EC public key without its point (86)")
    if oid.startswith(TA_RSA) and not (0x81 in objects and 0x82 in objects):
        raise ParseError("CV certificate: RSA public key without modulus and exponent")
    return CVPublicKey(oid, objects)


def _chat(t: tlv.TLV) -> Chat:
    kids = t.children()
    if len(kids) != 2 or kids[0].tag != 0x06 or kids[1].tag != T_TEMPLATE or not kids[1].value:
        raise ParseError("CV certificate: CHAT is not { OID, 53 authorization }")
    return Chat(decode_oid(kids[0].value), kids[1].value)


def _fields(body: tlv.TLV) -> dict[int, tlv.TLV]:
    out: dict[int, tlv.TLV] = {}
    for k in body.children():
        if k.tag in out:
            raise ParseError(f"CV certificate: data object {k.tag:X} appears twice")
        out[k.tag] = k
    return out


def _split(data: bytes) -> tuple[tlv.TLV, bytes, bytes]:
    if len(data) > MAX_CV_SIZE:
        raise ParseError(f"CV certificate larger than {MAX_CV_SIZE} bytes: refused")
    outer = tlv.parse(bytes(data), T_CERT)
    kids = outer.children()
    if len(kids) != 2 or kids[0].tag != T_BODY or kids[1].tag != T_SIG:
        raise ParseError("not a CV certificate: expected 7F21 { 7F4E body, 5F37 signature }")
    body = kids[0]
    encoded_body = tlv.encode(T_BODY, body.value)
    return body, encoded_body, kids[1].value


def parse_certificate(data: bytes) -> CVCertificate:
    """Parse a CV certificate (7F21); raises ParseError on anything malformed."""
    body, encoded, sig = _split(data)
    f = _fields(body)
    for tag, what in ((T_CPI, "profile identifier"), (T_CAR, "CAR"), (T_PK, "public key"),
                      (T_CHR, "CHR"), (T_CHAT, "CHAT"), (T_EFFECTIVE, "effective date"),
                      (T_EXPIRATION, "expiration date")):
        if tag not in f:
            raise ParseError(f"CV certificate without its {what}")
    effective = decode_date(f[T_EFFECTIVE].value, "effective date")
    expiration = decode_date(f[T_EXPIRATION].value, "expiration date")
    return CVCertificate(
        profile_id=int.from_bytes(f[T_CPI].value, "big"), car=_text(f[T_CAR].value, "CAR"),
        public_key=_public_key(f[T_PK]), chr=_text(f[T_CHR].value, "CHR"), chat=_chat(f[T_CHAT]),
        effective=effective, expiration=expiration,
        extensions=f[T_EXTENSIONS].value if T_EXTENSIONS in f else None,
        signature=sig, body=encoded, raw=bytes(data),
    )


def parse_request(data: bytes) -> CertificateRequest:
    """Parse a CV certificate request, plain (7F21) or authenticated (67)."""
    data = bytes(data)
    outer_car = outer_sig = outer_signed = None
    if data[:1] == bytes((T_AUTH_REQ,)):
        auth = tlv.parse(data, T_AUTH_REQ)
        kids = auth.children()
        if len(kids) != 3 or kids[0].tag != T_CERT or kids[1].tag != T_CAR or kids[2].tag != T_SIG:
            raise ParseError("authenticated request is not 67 { 7F21, 42 CAR, 5F37 }")
        inner = tlv.encode(T_CERT, kids[0].value)
        outer_car = _text(kids[1].value, "outer CAR")
        outer_sig = kids[2].value
        outer_signed = inner + tlv.encode(T_CAR, kids[1].value)
    else:
        inner = data
    body, encoded, sig = _split(inner)
    f = _fields(body)
    for tag, what in ((T_CPI, "profile identifier"), (T_PK, "public key"), (T_CHR, "CHR")):
        if tag not in f:
            raise ParseError(f"CV certificate request without its {what}")
    return CertificateRequest(
        profile_id=int.from_bytes(f[T_CPI].value, "big"),
        car=_text(f[T_CAR].value, "CAR") if T_CAR in f else None,
        public_key=_public_key(f[T_PK]), chr=_text(f[T_CHR].value, "CHR"),
        extensions=f[T_EXTENSIONS].value if T_EXTENSIONS in f else None,
        signature=sig, body=encoded, outer_car=outer_car, outer_signature=outer_sig,
        outer_signed=outer_signed, raw=data,
    )


def parse_cv(data: bytes) -> CVCertificate | CertificateRequest:
    """A certificate, or a request when it has no CHAT/dates (or is an authenticated request)."""
    data = bytes(data)
    if data[:1] == bytes((T_AUTH_REQ,)):
        return parse_request(data)
    body, _, _ = _split(data)
    tags = {k.tag for k in body.children()}
    return parse_certificate(data) if T_CHAT in tags else parse_request(data)


# --- encoding ------------------------------------------------------------------------------------


def encode_chat(template: bytes, role_oid: str = ROLE_IS) -> bytes:
    return tlv.encode(T_CHAT, encode_oid(role_oid) + tlv.encode(T_TEMPLATE, template))


def chat_template(role: str, *, dg3: bool = False, dg4: bool = False) -> bytes:
    """The one-byte IS CHAT for `role` with the DG3/DG4 read rights."""
    return bytes((ROLE_CODES[role] << 6 | (CHAT_DG3 if dg3 else 0) | (CHAT_DG4 if dg4 else 0),))


def encode_body(*, car: str, public_key: bytes, chr: str, chat: bytes, effective: dt.date,
                expiration: dt.date, extensions: bytes | None = None) -> bytes:
    """The 7F4E certificate body, fields in the order TR-03110-3 Table C.1 gives."""
    parts = [tlv.encode(T_CPI, b"\x00"), tlv.encode(T_CAR, car.encode("latin-1")), public_key,
             tlv.encode(T_CHR, chr.encode("latin-1")), chat,
             tlv.encode(T_EFFECTIVE, encode_date(effective)),
             tlv.encode(T_EXPIRATION, encode_date(expiration))]
    if extensions is not None:
        parts.append(tlv.encode(T_EXTENSIONS, extensions))
    return tlv.encode(T_BODY, b"".join(parts))


def encode_certificate(body: bytes, signature: bytes) -> bytes:
    return tlv.encode(T_CERT, body + tlv.encode(T_SIG, signature))


def encode_request_body(*, public_key: bytes, chr: str, car: str | None = None) -> bytes:
    parts = [tlv.encode(T_CPI, b"\x00")]
    if car:
        parts.append(tlv.encode(T_CAR, car.encode("latin-1")))
    parts += [public_key, tlv.encode(T_CHR, chr.encode("latin-1"))]
    return tlv.encode(T_BODY, b"".join(parts))


def encode_request(body: bytes, signature: bytes) -> bytes:
    return encode_certificate(body, signature)


# --- crypto primitives (shared by terminal and chip) ---------------------------------------------

_CURVES = (ec.BrainpoolP256R1, ec.BrainpoolP384R1, ec.BrainpoolP512R1, ec.SECP256R1,
           ec.SECP384R1, ec.SECP521R1, ec.SECP224R1)


@cache
def _generators() -> dict[bytes, ec.EllipticCurve]:
    """Uncompressed base point → curve, computed by `cryptography` itself (G = 1·G)."""
    from cryptography.hazmat.primitives import serialization

    out = {}
    for cls in _CURVES:
        curve = cls()
        g = ec.derive_private_key(1, curve).public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
        out[g] = curve
    return out


def curve_of(pk: CVPublicKey) -> ec.EllipticCurve:
    """The named curve whose base point the key's domain parameters give."""
    g = pk.objects.get(0x84)
    if g is None:
        raise ParseError("EC key without domain parameters (and none inherited from a CVCA)")
    curve = _generators().get(bytes(g))
    if curve is None:
        raise ParseError("EC domain parameters of the CV certificate are not a supported curve")
    return curve


def public_key_object(pk: CVPublicKey):
    """A `cryptography` public key for a (domain-complete) CV public key."""
    if pk.is_ec:
        return ec.EllipticCurvePublicKey.from_encoded_point(curve_of(pk), pk.objects[0x86])
    n = int.from_bytes(pk.objects[0x81], "big")
    e = int.from_bytes(pk.objects[0x82], "big")
    return rsa.RSAPublicNumbers(e, n).public_key()


def encode_public_key(oid: str, key, domain: dict[int, bytes] | None = None) -> CVPublicKey:
    """The CVPublicKey of a `cryptography` public key; `domain`: EC domain parameter objects
    81..85, 87 to include (CVCA and link certificates, requests), else the point only."""
    from cryptography.hazmat.primitives import serialization

    if isinstance(key, ec.EllipticCurvePublicKey):
        objects = dict(domain or {})
        objects[0x86] = key.public_bytes(serialization.Encoding.X962,
                                         serialization.PublicFormat.UncompressedPoint)
        return CVPublicKey(oid, objects)
    nums = key.public_numbers()
    size = (nums.n.bit_length() + 7) // 8
    return CVPublicKey(oid, {0x81: nums.n.to_bytes(size, "big"),
                             0x82: nums.e.to_bytes((nums.e.bit_length() + 7) // 8, "big")})


def _pss(digest: str) -> padding.PSS:
    h = _HASHES[digest]()
    return padding.PSS(mgf=padding.MGF1(h), salt_length=h.digest_size)


def verify_signature(oid: str, key, data: bytes, signature: bytes) -> bool:
    """Verify a TA signature (plain ECDSA r‖s, RSA v1.5 or PSS) — True / False, never raises
    for a bad signature."""
    scheme, digest = TA_ALGORITHMS.get(oid, ("unknown", ""))
    try:
        if scheme == "ecdsa" and isinstance(key, ec.EllipticCurvePublicKey):
            size = (key.curve.key_size + 7) // 8
            if len(signature) != 2 * size:
                return False
            r, s = int.from_bytes(signature[:size], "big"), int.from_bytes(signature[size:], "big")
            key.verify(encode_dss_signature(r, s), data, ec.ECDSA(_HASHES[digest]()))
            return True
        if scheme.startswith("rsa") and isinstance(key, rsa.RSAPublicKey):
            pad = padding.PKCS1v15() if scheme == "rsa-v1_5" else _pss(digest)
            key.verify(signature, data, pad, _HASHES[digest]())
            return True
    except (InvalidSignature, ValueError):
        return False
    return False


def plain_ecdsa(der_signature: bytes, curve: ec.EllipticCurve) -> bytes:
    """DER ECDSA-Sig-Value → plain r ‖ s (TR-03111)."""
    r, s = decode_dss_signature(der_signature)
    size = (curve.key_size + 7) // 8
    return r.to_bytes(size, "big") + s.to_bytes(size, "big")


def hash_for(oid: str) -> hashes.HashAlgorithm:
    scheme, digest = TA_ALGORITHMS[oid]
    return _HASHES[digest]()


def scheme_of(oid: str) -> str:
    return TA_ALGORITHMS.get(oid, ("unknown", ""))[0]


def pss_padding(oid: str) -> padding.PSS:
    return _pss(TA_ALGORITHMS[oid][1])
