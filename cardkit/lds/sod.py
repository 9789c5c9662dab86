"""EF.SOD: the Document Security Object (ICAO 9303-10 §4.6.2, 9303-12 §6.2 / Appendix C).

EF.SOD is tag 77 wrapping a CMS ContentInfo (RFC 5652 §3) whose SignedData encapsulates the
LDSSecurityObject (eContentType id-icao-mrtd-security-ldsSecurityObject, 2.23.136.1.1.1):

    LDSSecurityObject ::= SEQUENCE { version INTEGER, hashAlgorithm AlgorithmIdentifier,
        dataGroupHashValues SEQUENCE OF DataGroupHash, ldsVersionInfo LDSVersionInfo OPTIONAL }

Pure parsing on bytes: no signature is checked here (see cardkit.security.passive). Bounded:
size, number of data-group hashes, signer infos and certificates are limited.

Speed: a SOD in plain DER of the usual shape is walked directly (`_parse_sod_der`, a few tens of
microseconds); anything else — BER, unusual choices, or any problem at all — goes through the
asn1crypto parser (`_parse_sod_asn1`), which gives the same `Sod` or the precise ParseError. The
fast walker only ever returns what the asn1crypto path returns for the same bytes (tested).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from asn1crypto import algos, cms, core, x509

from ..errors import ASN1_DECODE_ERRORS, ParseError
from . import tlv

ID_LDS_SECURITY_OBJECT = "2.23.136.1.1.1"
ID_SIGNED_DATA = "1.2.840.113549.1.7.2"
MAX_SOD_SIZE = 64 * 1024
MAX_DG_HASHES = 16
MAX_SIGNER_INFOS = 4
MAX_CERTIFICATES = 8
DIGEST_SIZES = {"sha1": 20, "sha224": 28, "sha256": 32, "sha384": 48, "sha512": 64}


class _DataGroupHash(core.Sequence):
    _fields = [("data_group_number", core.Integer), ("data_group_hash_value", core.OctetString)]


class _DataGroupHashValues(core.SequenceOf):
    _child_spec = _DataGroupHash


class _LDSVersionInfo(core.Sequence):
    _fields = [("lds_version", core.PrintableString), ("unicode_version", core.PrintableString)]


class LDSSecurityObjectAsn1(core.Sequence):
    """ICAO 9303-10 §4.6.2.2 (asn1crypto spec; also used by encoders in tests and tools)."""

    _fields = [
        ("version", core.Integer),
        ("hash_algorithm", algos.DigestAlgorithm),
        ("data_group_hash_values", _DataGroupHashValues),
        ("lds_version_info", _LDSVersionInfo, {"optional": True}),
    ]


@dataclass(frozen=True)
class SodSignerInfo:
    """One CMS SignerInfo (RFC 5652 §5.3), with what verification needs kept as bytes."""

    version: int
    sid_issuer_der: bytes | None  # Name DER, when the sid is issuerAndSerialNumber
    sid_serial: int | None
    sid_ski: bytes | None  # when the sid is subjectKeyIdentifier
    digest_algorithm: str  # "sha256" ...
    signature_algorithm_der: bytes  # AlgorithmIdentifier DER (signatureAlgorithm)
    signature_algorithm: str  # asn1crypto name or dotted OID, for display
    signature: bytes
    signed_attrs_der: bytes | None  # re-tagged as SET OF (0x31): the bytes actually signed
    content_type: str | None  # signed attribute content-type (dotted OID)
    message_digest: bytes | None  # signed attribute message-digest
    signing_time: dt.datetime | None = None


@dataclass(frozen=True)
class Sod:
    """Parsed EF.SOD (ICAO 9303-10 §4.6.2)."""

    version: int  # LDSSecurityObject version (0, or 1 with ldsVersionInfo)
    digest_algorithm: str  # hash algorithm of the data-group hashes ("sha256" ...)
    dg_hashes: dict[int, bytes]
    lds_version: str | None
    unicode_version: str | None
    encap_content_type: str
    encap_content: bytes  # the raw LDSSecurityObject DER (what message-digest covers)
    signer_infos: tuple[SodSignerInfo, ...]
    certificates: tuple[bytes, ...]  # DER of every certificate in SignedData.certificates
    raw: bytes = field(repr=False, default=b"")


def _digest_name(alg: algos.DigestAlgorithm, what: str) -> str:
    name = alg["algorithm"].native
    if name not in DIGEST_SIZES:
        raise ParseError(f"EF.SOD: unsupported {what} digest algorithm {alg['algorithm'].dotted}")
    return name


def signer_info_from_asn1(si: cms.SignerInfo) -> SodSignerInfo:
    sid = si["sid"]
    issuer_der = serial = ski = None
    if sid.name == "issuer_and_serial_number":
        issuer = sid.chosen["issuer"]
        issuer.native  # noqa: B018 — decode the name now: a mangled string fails here
        issuer_der = issuer.dump()
        serial = sid.chosen["serial_number"].native
    else:
        ski = sid.chosen.native
    attrs = si["signed_attrs"]
    attrs_der = content_type = message_digest = signing_time = None
    if not isinstance(attrs, core.Void) and len(attrs):
        raw = attrs.dump()
        attrs_der = b"\x31" + raw[1:]  # RFC 5652 §5.4: signed over the explicit SET OF tag
        for attr in attrs:
            kind = attr["type"].native
            values = attr["values"]
            if len(values) != 1:
                raise ParseError(f"EF.SOD: signed attribute {kind} must have exactly one value")
            if kind == "content_type":
                if content_type is not None:
                    raise ParseError("EF.SOD: content-type signed attribute repeated")
                content_type = values[0].dotted
            elif kind == "message_digest":
                if message_digest is not None:
                    raise ParseError("EF.SOD: message-digest signed attribute repeated")
                message_digest = values[0].native
            elif kind == "signing_time":
                signing_time = values[0].native
    sig_alg = si["signature_algorithm"]
    return SodSignerInfo(
        version=int(str(si["version"].native).lstrip("v")),
        sid_issuer_der=issuer_der,
        sid_serial=serial,
        sid_ski=ski,
        digest_algorithm=_digest_name(si["digest_algorithm"], "signer"),
        signature_algorithm_der=sig_alg.dump(),
        signature_algorithm=str(sig_alg["algorithm"].native),
        signature=si["signature"].native,
        signed_attrs_der=attrs_der,
        content_type=content_type,
        message_digest=message_digest,
        signing_time=signing_time,
    )


def parse_content_info(data: bytes, expect_content_type: str, what: str) -> cms.SignedData:
    """Load a DER CMS ContentInfo holding SignedData (RFC 5652 §3, §5.1); ParseError on junk."""
    try:
        info = cms.ContentInfo.load(data, strict=True)
        if info["content_type"].dotted != ID_SIGNED_DATA:
            raise ParseError(f"{what}: not CMS SignedData ({info['content_type'].dotted})")
        signed = info["content"]
        encap = signed["encap_content_info"]
        if encap["content_type"].dotted != expect_content_type:
            raise ParseError(
                f"{what}: unexpected content type {encap['content_type'].dotted} "
                f"(expected {expect_content_type})")
        signed["digest_algorithms"].native  # noqa: B018 — small fields parsed now; the rest
        signed["version"].native  # noqa: B018 — is read (and checked) by the callers
        return signed
    except ParseError:
        raise
    except ASN1_DECODE_ERRORS as exc:
        raise ParseError(f"{what}: malformed CMS structure ({exc.__class__.__name__})") from None


def encap_content_bytes(signed: cms.SignedData, what: str) -> bytes:
    content = signed["encap_content_info"]["content"]
    if isinstance(content, core.Void):
        raise ParseError(f"{what}: the signed content is missing (detached signature)")
    return bytes(content.contents)  # ParsableOctetString: the octets, parsed or not


def parse_sod(data: bytes) -> Sod:
    """Parse EF.SOD (tag 77, or a bare ContentInfo) into a `Sod`. ICAO 9303-10 §4.6.2."""
    if len(data) > MAX_SOD_SIZE:
        raise ParseError(f"EF.SOD: {len(data)} bytes is too large")
    if not data:
        raise ParseError("EF.SOD is empty")
    if data[0] == 0x77:
        outer = tlv.parse(data, 0x77, allow_trailing=True)
        body = outer.value
    elif data[0] == 0x30:
        body = data
    else:
        raise ParseError(f"EF.SOD: expected tag 77, found {data[0]:02X}")
    try:
        return _parse_sod_der(body, data)
    except _NotPlainDer:
        return _parse_sod_asn1(body, data)


def _parse_sod_asn1(body: bytes, data: bytes) -> Sod:
    signed = parse_content_info(body, ID_LDS_SECURITY_OBJECT, "EF.SOD")
    try:
        econtent = encap_content_bytes(signed, "EF.SOD")
        lso = LDSSecurityObjectAsn1.load(econtent, strict=True)
        version = lso["version"].native
        digest = _digest_name(lso["hash_algorithm"], "data-group")
        values = lso["data_group_hash_values"]
        if len(values) > MAX_DG_HASHES:
            raise ParseError(f"EF.SOD: {len(values)} data-group hashes (at most 16 exist)")
        dg_hashes: dict[int, bytes] = {}
        for item in values:
            number = item["data_group_number"].native
            value = item["data_group_hash_value"].native
            if not 1 <= number <= 16:
                raise ParseError(f"EF.SOD: data-group number {number} out of range 1-16")
            if number in dg_hashes:
                raise ParseError(f"EF.SOD: DG{number} listed twice")
            if len(value) != DIGEST_SIZES[digest]:
                raise ParseError(f"EF.SOD: DG{number} hash has {len(value)} bytes for {digest}")
            dg_hashes[number] = value
        lds_version = unicode_version = None
        info = lso["lds_version_info"]
        if not isinstance(info, core.Void):
            lds_version = info["lds_version"].native
            unicode_version = info["unicode_version"].native
        signer_infos = signed["signer_infos"]
        if not 1 <= len(signer_infos) <= MAX_SIGNER_INFOS:
            raise ParseError(f"EF.SOD: {len(signer_infos)} signer infos (expected 1)")
        signers = tuple(signer_info_from_asn1(si) for si in signer_infos)
        certs = signed["certificates"]
        cert_ders: list[bytes] = []
        if not isinstance(certs, core.Void):
            if len(certs) > MAX_CERTIFICATES:
                raise ParseError(f"EF.SOD: {len(certs)} certificates is too many")
            for choice in certs:
                if choice.name == "certificate":
                    cert_ders.append(choice.chosen.dump())
    except ParseError:
        raise
    except ASN1_DECODE_ERRORS as exc:
        raise ParseError(f"EF.SOD: malformed security object ({exc.__class__.__name__})") from None
    return Sod(
        version=version,
        digest_algorithm=digest,
        dg_hashes=dg_hashes,
        lds_version=lds_version,
        unicode_version=unicode_version,
        encap_content_type=ID_LDS_SECURITY_OBJECT,
        encap_content=econtent,
        signer_infos=signers,
        certificates=tuple(cert_ders),
        raw=data,
    )


# --- the fast path: plain DER of the usual shape --------------------------------------------------


class _NotPlainDer(Exception):
    """Not the simple DER shape `_parse_sod_der` handles: use the asn1crypto path."""


_OID_SIGNED_DATA = bytes.fromhex("2a864886f70d010702")
_OID_LDS_SO = bytes.fromhex("678108010101")
_OID_CONTENT_TYPE = bytes.fromhex("2a864886f70d010903")
_OID_MESSAGE_DIGEST = bytes.fromhex("2a864886f70d010904")
_OID_SIGNING_TIME = bytes.fromhex("2a864886f70d010905")
_MAX_NAMES = 256
_digest_names: dict[bytes, str] = {}
_sig_names: dict[bytes, str] = {}
_dotted: dict[bytes, str] = {}
_decoded_names: set[bytes] = set()  # signer issuer names (DER) known to decode, as the slow path


def _tlv(buf: bytes, pos: int, end: int) -> tuple[int, int, int]:
    """(tag byte, value start, value end) of the DER element at `pos`; definite, minimal
    lengths and single-byte tags only."""
    if pos + 2 > end:
        raise _NotPlainDer
    tag = buf[pos]
    if tag & 0x1F == 0x1F:
        raise _NotPlainDer
    n = buf[pos + 1]
    p = pos + 2
    if n & 0x80:
        k = n & 0x7F
        if not 1 <= k <= 3 or p + k > end or buf[p] == 0:
            raise _NotPlainDer
        n = int.from_bytes(buf[p : p + k], "big")
        if n < 0x80:
            raise _NotPlainDer
        p += k
    if p + n > end:
        raise _NotPlainDer
    return tag, p, p + n


def _expect(buf: bytes, pos: int, end: int, tag: int) -> tuple[int, int]:
    t, vs, ve = _tlv(buf, pos, end)
    if t != tag:
        raise _NotPlainDer
    return vs, ve


def _children(buf: bytes, start: int, end: int) -> list[tuple[int, int, int, int]]:
    """(tag, element start, value start, value end) of each element in buf[start:end]."""
    out = []
    pos = start
    while pos < end:
        t, vs, ve = _tlv(buf, pos, end)
        out.append((t, pos, vs, ve))
        pos = ve
    return out


def _integer(buf: bytes, vs: int, ve: int) -> int:
    if ve == vs:
        raise _NotPlainDer
    return int.from_bytes(buf[vs:ve], "big", signed=True)


def _cached_name(table: dict[bytes, str], raw_oid: bytes, spec: type[core.ObjectIdentifier]
                 ) -> str:
    name = table.get(raw_oid)
    if name is None:
        try:
            name = str(spec.load(raw_oid).native)
        except (ValueError, TypeError):
            raise _NotPlainDer from None
        if len(table) < _MAX_NAMES:
            table[raw_oid] = name
    return name


def _check_name_decodes(name_der: bytes) -> None:
    """The asn1crypto path decodes the signer's issuer name (a mangled string is a ParseError
    there); the fast walk must not accept a name that path refuses, so it decodes it once too."""
    if name_der in _decoded_names:
        return
    try:
        x509.Name.load(name_der, strict=True).native  # noqa: B018 — decode now
    except ASN1_DECODE_ERRORS:
        raise _NotPlainDer from None
    if len(_decoded_names) < _MAX_NAMES:
        _decoded_names.add(name_der)


def _algorithm(buf: bytes, vs: int, ve: int) -> bytes:
    """AlgorithmIdentifier with no or NULL parameters: the raw OID element."""
    kids = _children(buf, vs, ve)
    if not kids or kids[0][0] != 0x06 or len(kids) > 2:
        raise _NotPlainDer
    if len(kids) == 2 and buf[kids[1][1] : kids[1][3]] != b"\x05\x00":
        raise _NotPlainDer
    return buf[kids[0][1] : kids[0][3]]


def _digest(buf: bytes, vs: int, ve: int) -> str:
    name = _cached_name(_digest_names, _algorithm(buf, vs, ve), algos.DigestAlgorithmId)
    if name not in DIGEST_SIZES:
        raise _NotPlainDer
    return name


def _parse_sod_der(body: bytes, data: bytes) -> Sod:
    buf = bytes(body)
    end = len(buf)
    vs, ve = _expect(buf, 0, end, 0x30)
    if ve != end:
        raise _NotPlainDer
    kids = _children(buf, vs, ve)  # ContentInfo
    if len(kids) != 2 or kids[0][0] != 0x06 or buf[kids[0][2] : kids[0][3]] != _OID_SIGNED_DATA \
            or kids[1][0] != 0xA0:
        raise _NotPlainDer
    vs, ve = _expect(buf, kids[1][2], kids[1][3], 0x30)
    if ve != kids[1][3]:
        raise _NotPlainDer
    fields = _children(buf, vs, ve)  # SignedData
    if len(fields) < 4 or fields[0][0] != 0x02 or fields[1][0] != 0x31 or fields[2][0] != 0x30:
        raise _NotPlainDer
    _integer(buf, fields[0][2], fields[0][3])
    for t, _s, avs, ave in _children(buf, fields[1][2], fields[1][3]):
        if t != 0x30:
            raise _NotPlainDer
        _algorithm(buf, avs, ave)
    encap = _children(buf, fields[2][2], fields[2][3])
    if len(encap) != 2 or encap[0][0] != 0x06 or buf[encap[0][2] : encap[0][3]] != _OID_LDS_SO \
            or encap[1][0] != 0xA0:
        raise _NotPlainDer
    os_vs, os_ve = _expect(buf, encap[1][2], encap[1][3], 0x04)
    if os_ve != encap[1][3]:
        raise _NotPlainDer
    econtent = buf[os_vs:os_ve]
    rest = fields[3:]
    cert_ders: list[bytes] = []
    if rest and rest[0][0] == 0xA0:
        for t, s, _vs, cve in _children(buf, rest[0][2], rest[0][3]):
            if t != 0x30:
                raise _NotPlainDer
            cert_ders.append(buf[s:cve])
        if len(cert_ders) > MAX_CERTIFICATES:
            raise _NotPlainDer
        rest = rest[1:]
    if rest and rest[0][0] == 0xA1:
        rest = rest[1:]  # crls: not used
    if len(rest) != 1 or rest[0][0] != 0x31:
        raise _NotPlainDer
    infos = _children(buf, rest[0][2], rest[0][3])
    if not 1 <= len(infos) <= MAX_SIGNER_INFOS:
        raise _NotPlainDer
    signers = []
    for t, _s, svs, sve in infos:
        if t != 0x30:
            raise _NotPlainDer
        signers.append(_signer_info_der(buf, svs, sve))
    version, digest, dg_hashes, lds_version, unicode_version = _lso_der(econtent)
    return Sod(version, digest, dg_hashes, lds_version, unicode_version, ID_LDS_SECURITY_OBJECT,
               econtent, tuple(signers), tuple(cert_ders), data)


def _lso_der(econtent: bytes) -> tuple[int, str, dict[int, bytes], str | None, str | None]:
    end = len(econtent)
    vs, ve = _expect(econtent, 0, end, 0x30)
    if ve != end:
        raise _NotPlainDer
    kids = _children(econtent, vs, ve)
    if not 3 <= len(kids) <= 4 or kids[0][0] != 0x02 or kids[1][0] != 0x30 \
            or kids[2][0] != 0x30:
        raise _NotPlainDer
    version = _integer(econtent, kids[0][2], kids[0][3])
    digest = _digest(econtent, kids[1][2], kids[1][3])
    items = _children(econtent, kids[2][2], kids[2][3])
    if len(items) > MAX_DG_HASHES:
        raise _NotPlainDer
    dg_hashes: dict[int, bytes] = {}
    for t, _s, ivs, ive in items:
        pair = _children(econtent, ivs, ive) if t == 0x30 else []
        if len(pair) != 2 or pair[0][0] != 0x02 or pair[1][0] != 0x04:
            raise _NotPlainDer
        number = _integer(econtent, pair[0][2], pair[0][3])
        value = econtent[pair[1][2] : pair[1][3]]
        if not 1 <= number <= 16 or number in dg_hashes or len(value) != DIGEST_SIZES[digest]:
            raise _NotPlainDer
        dg_hashes[number] = value
    lds_version = unicode_version = None
    if len(kids) == 4:
        if kids[3][0] != 0x30:
            raise _NotPlainDer
        try:
            info = _LDSVersionInfo.load(econtent[kids[3][1] : kids[3][3]], strict=True)
            lds_version = info["lds_version"].native
            unicode_version = info["unicode_version"].native
        except (ValueError, TypeError, KeyError):
            raise _NotPlainDer from None
    return version, digest, dg_hashes, lds_version, unicode_version


def _signer_info_der(buf: bytes, vs: int, ve: int) -> SodSignerInfo:
    kids = _children(buf, vs, ve)
    if len(kids) < 5 or kids[0][0] != 0x02:
        raise _NotPlainDer
    version = _integer(buf, kids[0][2], kids[0][3])
    if not 0 <= version <= 5:
        raise _NotPlainDer
    issuer_der = serial = ski = None
    t, s, svs, sve = kids[1]
    if t == 0x30:
        sid = _children(buf, svs, sve)
        if len(sid) != 2 or sid[0][0] != 0x30 or sid[1][0] != 0x02:
            raise _NotPlainDer
        issuer_der = buf[sid[0][1] : sid[0][3]]
        _check_name_decodes(issuer_der)
        serial = _integer(buf, sid[1][2], sid[1][3])
    elif t == 0x80:
        ski = buf[svs:sve]
    else:
        raise _NotPlainDer
    if kids[2][0] != 0x30:
        raise _NotPlainDer
    digest = _digest(buf, kids[2][2], kids[2][3])
    i = 3
    attrs_der = content_type = message_digest = signing_time = None
    if kids[i][0] == 0xA0:
        t, s, avs, ave = kids[i]
        attrs = _children(buf, avs, ave)
        if attrs:
            attrs_der = b"\x31" + buf[s + 1 : ave]
        for at, a_s, a_vs, a_ve in attrs:
            parts = _children(buf, a_vs, a_ve) if at == 0x30 else []
            if len(parts) != 2 or parts[0][0] != 0x06 or parts[1][0] != 0x31:
                raise _NotPlainDer
            values = _children(buf, parts[1][2], parts[1][3])
            if len(values) != 1:
                raise _NotPlainDer
            kind = buf[parts[0][2] : parts[0][3]]
            vt, v_s, v_vs, v_ve = values[0]
            if kind == _OID_CONTENT_TYPE:
                if content_type is not None or vt != 0x06:
                    raise _NotPlainDer
                content_type = _cached_name(_dotted, buf[v_s:v_ve], _DottedOid)
            elif kind == _OID_MESSAGE_DIGEST:
                if message_digest is not None or vt != 0x04:
                    raise _NotPlainDer
                message_digest = buf[v_vs:v_ve]
            elif kind == _OID_SIGNING_TIME:
                try:
                    signing_time = cms.CMSAttribute.load(buf[a_s:a_ve])["values"][0].native
                except (ValueError, TypeError, KeyError):
                    raise _NotPlainDer from None
        i += 1
    if len(kids) < i + 2 or kids[i][0] != 0x30 or kids[i + 1][0] != 0x04:
        raise _NotPlainDer
    rest = kids[i + 2 :]
    if len(rest) > 1 or (rest and rest[0][0] != 0xA1):
        raise _NotPlainDer
    alg_raw = buf[kids[i][1] : kids[i][3]]
    alg_kids = _children(buf, kids[i][2], kids[i][3])
    if not alg_kids or alg_kids[0][0] != 0x06:
        raise _NotPlainDer
    sig_name = _cached_name(_sig_names, buf[alg_kids[0][1] : alg_kids[0][3]],
                            algos.SignedDigestAlgorithmId)
    return SodSignerInfo(version, issuer_der, serial, ski, digest, alg_raw, sig_name,
                         buf[kids[i + 1][2] : kids[i + 1][3]], attrs_der, content_type,
                         message_digest, signing_time)


class _DottedOid(core.ObjectIdentifier):
    """An OID whose `native` is its dotted form (content-type values)."""

    @property
    def native(self) -> str:  # type: ignore[override]
        return self.dotted
