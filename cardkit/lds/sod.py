"""EF.SOD: the Document Security Object (ICAO 9303-10 §4.6.2, 9303-12 §6.2 / Appendix C).

EF.SOD is tag 77 wrapping a CMS ContentInfo (RFC 5652 §3) whose SignedData encapsulates the
LDSSecurityObject (eContentType id-icao-mrtd-security-ldsSecurityObject, 2.23.136.1.1.1):

    LDSSecurityObject ::= SEQUENCE { version INTEGER, hashAlgorithm AlgorithmIdentifier,
        dataGroupHashValues SEQUENCE OF DataGroupHash, ldsVersionInfo LDSVersionInfo OPTIONAL }

Pure parsing on bytes: no signature is checked here (see cardkit.security.passive). Bounded:
size, number of data-group hashes, signer infos and certificates are limited.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from asn1crypto import algos, cms, core

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
