"""SecurityInfos of EF.CardAccess and DG14 (ICAO 9303-11 §9.2, BSI TR-03110-3 A.1.1).

    SecurityInfos ::= SET OF SecurityInfo
    SecurityInfo  ::= SEQUENCE { protocol OBJECT IDENTIFIER, requiredData ANY, optionalData ANY OPT }

Parsed into frozen dataclasses: `PaceInfo`, `PaceDomainParameterInfo`, `ChipAuthenticationInfo`,
`ChipAuthenticationPublicKeyInfo`, `ActiveAuthenticationInfo`, `TerminalAuthenticationInfo`;
anything else is kept as `UnknownSecurityInfo`. Also the DER encoders the virtual card uses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from ..errors import ParseError
from . import tlv

MAX_INFOS = 64  # real chips carry fewer than ten
MAX_EC_FIELD_BITS = 521  # P-521; explicit parameters must anyway equal a standard curve
MAX_DH_BITS = 4096

# --- object identifiers (TR-03110-3 A.6.1, ICAO 9303-11 §9.2) --------------------------------

BSI_DE = "0.4.0.127.0.7"
ID_PK_DH = BSI_DE + ".2.2.1.1"
ID_PK_ECDH = BSI_DE + ".2.2.1.2"
ID_TA = BSI_DE + ".2.2.2"
ID_CA = BSI_DE + ".2.2.3"
ID_CA_DH = ID_CA + ".1"
ID_CA_ECDH = ID_CA + ".2"
ID_PACE = BSI_DE + ".2.2.4"
ID_AA = "2.23.136.1.1.5"
STANDARDIZED_DOMAIN_PARAMETERS = BSI_DE + ".1.2"
ID_EC_PUBLIC_KEY = "1.2.840.10045.2.1"
ID_DH_PUBLIC_NUMBER = "1.2.840.10046.2.1"
ID_DH_KEY_AGREEMENT = "1.2.840.113549.1.3.1"  # PKCS#3
RSA_ENCRYPTION = "1.2.840.113549.1.1.1"
PRIME_FIELD = "1.2.840.10045.1.1"

ECDSA_PLAIN = BSI_DE + ".1.1.4.1"  # ecdsa-plain-signatures (TR-03111 §5.2.1)
SIGNATURE_HASHES = {
    ECDSA_PLAIN + ".1": "sha1", ECDSA_PLAIN + ".2": "sha224", ECDSA_PLAIN + ".3": "sha256",
    ECDSA_PLAIN + ".4": "sha384", ECDSA_PLAIN + ".5": "sha512",
    "1.2.840.10045.4.1": "sha1", "1.2.840.10045.4.3.1": "sha224",
    "1.2.840.10045.4.3.2": "sha256", "1.2.840.10045.4.3.3": "sha384",
    "1.2.840.10045.4.3.4": "sha512",
}


class Mapping(str, Enum):
    GM = "GM"  # generic mapping
    IM = "IM"  # integrated mapping
    CAM = "CAM"  # chip authentication mapping


@dataclass(frozen=True)
class Algorithm:
    """What a PACE or CA protocol OID names: key agreement, mapping, cipher and key length."""

    oid: str
    agreement: str  # "DH" or "ECDH"
    cipher: str  # "3DES" or "AES"
    key_bits: int  # 112 (2-key 3DES), 128, 192, 256
    mapping: Mapping | None = None  # PACE only

    @property
    def name(self) -> str:
        parts = ["PACE" if self.mapping else "CA", self.agreement]
        if self.mapping:
            parts.append(self.mapping.value)
        cipher = "3DES-CBC-CBC" if self.cipher == "3DES" else f"AES-CBC-CMAC-{self.key_bits}"
        return "-".join(parts + [cipher])


_CIPHERS = {1: ("3DES", 112), 2: ("AES", 128), 3: ("AES", 192), 4: ("AES", 256)}
_PACE_KINDS = {
    1: ("DH", Mapping.GM), 2: ("ECDH", Mapping.GM), 3: ("DH", Mapping.IM),
    4: ("ECDH", Mapping.IM), 6: ("ECDH", Mapping.CAM),
}


def pace_algorithm(oid: str) -> Algorithm | None:
    """id-PACE-{DH,ECDH}-{GM,IM,CAM}-{3DES,AES...} (ICAO 9303-11 §9.2.3), else None."""
    if not oid.startswith(ID_PACE + "."):
        return None
    rest = oid[len(ID_PACE) + 1 :].split(".")
    if len(rest) != 2 or not all(r.isdigit() for r in rest):
        return None
    kind, cip = int(rest[0]), int(rest[1])
    if kind not in _PACE_KINDS or cip not in _CIPHERS:
        return None
    if kind == 6 and cip == 1:
        return None  # CAM is defined with AES only
    agreement, mapping = _PACE_KINDS[kind]
    cipher, bits = _CIPHERS[cip]
    return Algorithm(oid, agreement, cipher, bits, mapping)


def ca_algorithm(oid: str) -> Algorithm | None:
    """id-CA-{DH,ECDH}-{3DES-CBC-CBC, AES-CBC-CMAC-128/192/256} (ICAO 9303-11 §9.2.6), else None."""
    for base, agreement in ((ID_CA_DH, "DH"), (ID_CA_ECDH, "ECDH")):
        if oid.startswith(base + "."):
            rest = oid[len(base) + 1 :]
            if rest.isdigit() and int(rest) in _CIPHERS:
                cipher, bits = _CIPHERS[int(rest)]
                return Algorithm(oid, agreement, cipher, bits)
    return None


def pace_oid(agreement: str, mapping: Mapping, cipher: str, key_bits: int) -> str:
    kind = {v: k for k, v in _PACE_KINDS.items()}[(agreement, mapping)]
    cip = {v: k for k, v in _CIPHERS.items()}[(cipher, key_bits)]
    return f"{ID_PACE}.{kind}.{cip}"


def ca_oid(agreement: str, cipher: str, key_bits: int) -> str:
    cip = {v: k for k, v in _CIPHERS.items()}[(cipher, key_bits)]
    return f"{ID_CA_DH if agreement == 'DH' else ID_CA_ECDH}.{cip}"


# --- parsed structures ----------------------------------------------------------------------


@dataclass(frozen=True)
class PaceInfo:
    """PACEInfo ::= SEQUENCE { protocol, version INTEGER, parameterId INTEGER OPTIONAL }."""

    protocol: str
    version: int
    parameter_id: int | None
    algorithm: Algorithm | None


@dataclass(frozen=True)
class PaceDomainParameterInfo:
    """Proprietary PACE domain parameters (AlgorithmIdentifier kept raw) and their ID."""

    protocol: str
    domain_parameter: bytes  # DER AlgorithmIdentifier
    parameter_id: int | None


@dataclass(frozen=True)
class ChipAuthenticationInfo:
    """ChipAuthenticationInfo ::= SEQUENCE { protocol, version INTEGER, keyId INTEGER OPT }."""

    protocol: str
    version: int
    key_id: int | None
    algorithm: Algorithm | None


@dataclass(frozen=True)
class PublicKeyInfo:
    """A SubjectPublicKeyInfo taken apart (TR-03110-3 A.1.2.2 / RFC 5480 / RFC 3279).

    `kind` is "EC", "DH" or "RSA". Domain parameters come as a named-curve OID (`curve_oid`), a
    standardized ID (`parameter_id`) or explicit values (`explicit`); cardkit.icao.domain_params
    resolves them (lds/ stays free of protocol code).
    `public` is the EC point octets, the DH public value octets, or the RSA key DER.
    """

    kind: str
    algorithm_oid: str
    public: bytes
    spki: bytes
    curve_oid: str | None = None
    parameter_id: int | None = None
    explicit: dict[str, int] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class ChipAuthenticationPublicKeyInfo:
    """ChipAuthenticationPublicKeyInfo ::= SEQUENCE { protocol id-PK-(EC)DH,
    chipAuthenticationPublicKey SubjectPublicKeyInfo, keyId INTEGER OPTIONAL }."""

    protocol: str
    public_key: PublicKeyInfo
    key_id: int | None


@dataclass(frozen=True)
class ActiveAuthenticationInfo:
    """ActiveAuthenticationInfo ::= SEQUENCE { id-AA, version INTEGER, signatureAlgorithm OID }."""

    protocol: str
    version: int
    signature_algorithm: str

    @property
    def hash_name(self) -> str | None:
        return SIGNATURE_HASHES.get(self.signature_algorithm)


@dataclass(frozen=True)
class TerminalAuthenticationInfo:
    protocol: str
    version: int


@dataclass(frozen=True)
class UnknownSecurityInfo:
    protocol: str
    raw: bytes


SecurityInfo = (
    PaceInfo | PaceDomainParameterInfo | ChipAuthenticationInfo | ChipAuthenticationPublicKeyInfo
    | ActiveAuthenticationInfo | TerminalAuthenticationInfo | UnknownSecurityInfo
)


@dataclass(frozen=True)
class SecurityInfos:
    infos: tuple[SecurityInfo, ...]

    def _of(self, kind: type) -> list:
        return [i for i in self.infos if isinstance(i, kind)]

    @property
    def pace(self) -> list[PaceInfo]:
        return self._of(PaceInfo)

    @property
    def pace_domain_parameters(self) -> list[PaceDomainParameterInfo]:
        return self._of(PaceDomainParameterInfo)

    @property
    def chip_auth(self) -> list[ChipAuthenticationInfo]:
        return self._of(ChipAuthenticationInfo)

    @property
    def chip_auth_public_keys(self) -> list[ChipAuthenticationPublicKeyInfo]:
        return self._of(ChipAuthenticationPublicKeyInfo)

    @property
    def active_auth(self) -> ActiveAuthenticationInfo | None:
        found = self._of(ActiveAuthenticationInfo)
        return found[0] if found else None

    @property
    def terminal_auth(self) -> list[TerminalAuthenticationInfo]:
        return self._of(TerminalAuthenticationInfo)


# --- DER helpers ----------------------------------------------------------------------------

TAG_INTEGER, TAG_BIT_STRING, TAG_OCTET_STRING, TAG_NULL, TAG_OID = 0x02, 0x03, 0x04, 0x05, 0x06
TAG_SEQUENCE, TAG_SET = 0x30, 0x31


def decode_oid(value: bytes) -> str:
    if not value or len(value) > 64 or value[-1] & 0x80:
        raise ParseError("malformed object identifier")
    arcs: list[int] = []
    n = 0
    for b in value:
        n = (n << 7) | (b & 0x7F)
        if not b & 0x80:
            arcs.append(n)
            n = 0
    first = arcs[0]
    head = [min(first // 40, 2), first - 40 * min(first // 40, 2)]
    return ".".join(str(a) for a in head + arcs[1:])


def encode_oid(oid: str) -> bytes:
    arcs = [int(a) for a in oid.split(".")]
    body = bytearray()
    for arc in [40 * arcs[0] + arcs[1], *arcs[2:]]:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        body += bytes(reversed(chunk))
    return tlv.encode(TAG_OID, bytes(body))


def decode_int(t: tlv.TLV, what: str) -> int:
    if t.tag != TAG_INTEGER or not t.value or len(t.value) > 1024:
        raise ParseError(f"{what}: INTEGER expected")
    return int.from_bytes(t.value, "big", signed=True)


def encode_int(n: int) -> bytes:
    length = max(1, (n.bit_length() + 8) // 8)
    return tlv.encode(TAG_INTEGER, n.to_bytes(length, "big", signed=True))


def _unsigned(t: tlv.TLV, what: str) -> int:
    if t.tag != TAG_INTEGER and t.tag != TAG_OCTET_STRING:
        raise ParseError(f"{what}: INTEGER expected")
    return int.from_bytes(t.value, "big")


# --- SubjectPublicKeyInfo -------------------------------------------------------------------


def parse_public_key_info(der: bytes) -> PublicKeyInfo:
    """Take apart a SubjectPublicKeyInfo (EC named/explicit/standardized, DH, RSA)."""
    spki = tlv.parse(der, TAG_SEQUENCE, allow_trailing=False)
    parts = spki.children()
    if len(parts) != 2 or parts[0].tag != TAG_SEQUENCE or parts[1].tag != TAG_BIT_STRING:
        raise ParseError("SubjectPublicKeyInfo: SEQUENCE { AlgorithmIdentifier, BIT STRING } expected")
    alg = parts[0].children()
    if not alg or alg[0].tag != TAG_OID:
        raise ParseError("SubjectPublicKeyInfo: algorithm OID missing")
    alg_oid = decode_oid(alg[0].value)
    params = alg[1] if len(alg) > 1 else None
    bits = parts[1].value
    if not bits or bits[0] != 0:
        raise ParseError("SubjectPublicKeyInfo: public key BIT STRING has unused bits")
    key = bits[1:]
    if alg_oid == RSA_ENCRYPTION:
        return PublicKeyInfo("RSA", alg_oid, key, der)
    if alg_oid in (ID_EC_PUBLIC_KEY, ID_PK_ECDH):
        return _ec_key(alg_oid, params, key, der)
    if alg_oid in (ID_DH_PUBLIC_NUMBER, ID_DH_KEY_AGREEMENT, ID_PK_DH):
        return _dh_key(alg_oid, params, key, der)
    if alg_oid == STANDARDIZED_DOMAIN_PARAMETERS:
        # TR-03110-3 A.2.1.1: AlgorithmIdentifier { standardizedDomainParameters, INTEGER id };
        # IDs 0-2 are the RFC 5114 DH groups, 8-18 the NIST/brainpool curves.
        if params is None or params.tag != TAG_INTEGER:
            raise ParseError("standardizedDomainParameters without a parameter ID")
        pid = decode_int(params, "standardized domain parameter ID")
        if pid in (0, 1, 2):
            return _dh_key(alg_oid, params, key, der)
        return _ec_key(alg_oid, params, key, der)
    raise ParseError(f"unsupported public key algorithm {alg_oid}")


def _ec_key(alg_oid: str, params: tlv.TLV | None, key: bytes, der: bytes) -> PublicKeyInfo:
    if params is None:
        raise ParseError("EC public key without domain parameters")
    if params.tag == TAG_OID:
        oid = decode_oid(params.value)
        return PublicKeyInfo("EC", alg_oid, key, der, curve_oid=oid)
    if params.tag == TAG_INTEGER:  # standardized domain parameter ID
        pid = decode_int(params, "EC parameter ID")
        return PublicKeyInfo("EC", alg_oid, key, der, parameter_id=pid)
    if params.tag == TAG_SEQUENCE:
        kids = params.children()
        if len(kids) < 5 or any(k.tag != TAG_SEQUENCE for k in kids[1:3]):
            raise ParseError("explicit ECParameters: too few fields")
        field_id = kids[1].children()
        if (len(field_id) != 2 or field_id[0].tag != TAG_OID
                or decode_oid(field_id[0].value) != PRIME_FIELD):
            raise ParseError("explicit ECParameters: only prime fields are supported")
        p = _unsigned(field_id[1], "prime")
        if not 3 < p.bit_length() <= MAX_EC_FIELD_BITS:
            raise ParseError(f"explicit ECParameters: a {p.bit_length()}-bit field is not a "
                             f"curve cardkit uses (at most {MAX_EC_FIELD_BITS} bits)")
        curve_kids = kids[2].children()
        if len(curve_kids) < 2:
            raise ParseError("explicit ECParameters: curve coefficients a and b expected")
        a = _unsigned(curve_kids[0], "a")
        b = _unsigned(curve_kids[1], "b")
        base = kids[3].value
        n = _unsigned(kids[4], "order")
        size = (p.bit_length() + 7) // 8
        if len(base) != 1 + 2 * size or base[0] != 4:
            raise ParseError("explicit ECParameters: base point must be uncompressed")
        gx, gy = int.from_bytes(base[1 : 1 + size], "big"), int.from_bytes(base[1 + size :], "big")
        explicit = {"p": p, "a": a, "b": b, "gx": gx, "gy": gy, "n": n}
        return PublicKeyInfo("EC", alg_oid, key, der, explicit=explicit)
    raise ParseError("EC public key: unsupported domain parameter encoding")


def _dh_key(alg_oid: str, params: tlv.TLV | None, key: bytes, der: bytes) -> PublicKeyInfo:
    value = key
    if key and key[0] == TAG_INTEGER:  # the public value is a DER INTEGER inside the BIT STRING
        value = tlv.parse(key, TAG_INTEGER).value.lstrip(b"\x00") or b"\x00"
    explicit: dict[str, int] = {}
    pid = None
    if params is not None and params.tag == TAG_INTEGER:
        pid = decode_int(params, "DH parameter ID")
    elif params is not None and params.tag == TAG_SEQUENCE:
        kids = params.children()
        if len(kids) >= 2:
            explicit = {"p": _unsigned(kids[0], "p"), "g": _unsigned(kids[1], "g")}
            if not 3 < explicit["p"].bit_length() <= MAX_DH_BITS:
                raise ParseError(f"DH parameters: a {explicit['p'].bit_length()}-bit group is "
                                 f"not one cardkit uses (at most {MAX_DH_BITS} bits)")
            # X9.42 DomainParameters order: p, g, q ; PKCS#3: p, g, [privateValueLength]
            x942 = alg_oid in (ID_DH_PUBLIC_NUMBER, ID_PK_DH)
            if x942 and len(kids) >= 3 and kids[2].tag == TAG_INTEGER:
                explicit["q"] = _unsigned(kids[2], "q")
    return PublicKeyInfo("DH", alg_oid, value, der, parameter_id=pid, explicit=explicit)


# --- SecurityInfos --------------------------------------------------------------------------


def parse_security_infos(data: bytes, *, allow_trailing: bool = False) -> SecurityInfos:
    """Parse a DER `SET OF SecurityInfo`; unknown protocols are kept, malformed ones raise."""
    outer = tlv.parse(data, TAG_SET, allow_trailing=allow_trailing)
    items = outer.children()
    if len(items) > MAX_INFOS:
        raise ParseError(f"SecurityInfos with {len(items)} entries is implausible")
    return SecurityInfos(tuple(_parse_info(i) for i in items))


def _parse_info(item: tlv.TLV) -> SecurityInfo:
    if item.tag != TAG_SEQUENCE:
        raise ParseError(f"SecurityInfo: SEQUENCE expected, found tag {item.tag:X}")
    kids = item.children()
    if not kids or kids[0].tag != TAG_OID:
        raise ParseError("SecurityInfo: protocol OID missing")
    oid = decode_oid(kids[0].value)
    rest = kids[1:]
    raw = tlv.encode(item.tag, item.value)
    if not rest:
        raise ParseError(f"SecurityInfo {oid}: requiredData missing")

    if oid in {f"{ID_PACE}.{k}" for k in _PACE_KINDS}:
        # PACEDomainParameterInfo: protocol = id-PACE-DH-GM etc. without the cipher arc
        dp = tlv.encode(rest[0].tag, rest[0].value)
        pid = decode_int(rest[1], "PACEDomainParameterInfo parameterId") if len(rest) > 1 else None
        return PaceDomainParameterInfo(oid, dp, pid)
    alg = pace_algorithm(oid)
    if alg is not None:
        version = decode_int(rest[0], "PACEInfo version")
        pid = decode_int(rest[1], "PACEInfo parameterId") if len(rest) > 1 else None
        return PaceInfo(oid, version, pid, alg)
    alg = ca_algorithm(oid)
    if alg is not None:
        version = decode_int(rest[0], "ChipAuthenticationInfo version")
        kid = decode_int(rest[1], "ChipAuthenticationInfo keyId") if len(rest) > 1 else None
        return ChipAuthenticationInfo(oid, version, kid, alg)
    if oid in (ID_PK_DH, ID_PK_ECDH):
        spki = tlv.encode(rest[0].tag, rest[0].value)
        kid = decode_int(rest[1], "ChipAuthenticationPublicKeyInfo keyId") if len(rest) > 1 else None
        return ChipAuthenticationPublicKeyInfo(oid, parse_public_key_info(spki), kid)
    if oid == ID_AA:
        version = decode_int(rest[0], "ActiveAuthenticationInfo version")
        if len(rest) < 2 or rest[1].tag != TAG_OID:
            raise ParseError("ActiveAuthenticationInfo: signatureAlgorithm missing")
        return ActiveAuthenticationInfo(oid, version, decode_oid(rest[1].value))
    if oid == ID_TA or oid.startswith(ID_TA + "."):
        version = decode_int(rest[0], "TerminalAuthenticationInfo version") \
            if rest[0].tag == TAG_INTEGER else 0
        return TerminalAuthenticationInfo(oid, version)
    return UnknownSecurityInfo(oid, raw)


# --- encoders (used by the virtual card and tests) -------------------------------------------


def _seq(*parts: bytes) -> bytes:
    return tlv.encode(TAG_SEQUENCE, b"".join(parts))


def encode_pace_info(oid: str, version: int = 2, parameter_id: int | None = None) -> bytes:
    extra = encode_int(parameter_id) if parameter_id is not None else b""
    return _seq(encode_oid(oid), encode_int(version), extra)


def encode_ca_info(oid: str, version: int = 1, key_id: int | None = None) -> bytes:
    extra = encode_int(key_id) if key_id is not None else b""
    return _seq(encode_oid(oid), encode_int(version), extra)


def encode_ec_spki(curve_oid: str, point: bytes, algorithm: str = ID_EC_PUBLIC_KEY) -> bytes:
    alg = _seq(encode_oid(algorithm), encode_oid(curve_oid))
    return _seq(alg, tlv.encode(TAG_BIT_STRING, b"\x00" + point))


def encode_dh_spki(p: int, g: int, q: int, public: bytes) -> bytes:
    """dhpublicnumber SubjectPublicKeyInfo (RFC 3279 §2.3.3), public value as DER INTEGER."""
    params = _seq(encode_int(p), encode_int(g), encode_int(q))
    alg = _seq(encode_oid(ID_DH_PUBLIC_NUMBER), params)
    y = encode_int(int.from_bytes(public, "big"))
    return _seq(alg, tlv.encode(TAG_BIT_STRING, b"\x00" + y))


def encode_ca_public_key_info(spki: bytes, key_id: int | None = None,
                              protocol: str = ID_PK_ECDH) -> bytes:
    extra = encode_int(key_id) if key_id is not None else b""
    return _seq(encode_oid(protocol), spki, extra)


def encode_aa_info(signature_algorithm: str, version: int = 1) -> bytes:
    return _seq(encode_oid(ID_AA), encode_int(version), encode_oid(signature_algorithm))


def encode_security_infos(infos: list[bytes]) -> bytes:
    """DER SET OF: elements sorted by their encoding (X.690 §11.6)."""
    return tlv.encode(TAG_SET, b"".join(sorted(infos)))
