"""ICAO CSCA master lists (ICAO 9303-12 §9, Doc 9303 "CSCA Master List").

A master list is CMS SignedData with eContentType id-icao-cscaMasterList (2.23.136.1.1.2) and

    CscaMasterList ::= SEQUENCE { version CscaMasterListVersion (v0), certList SET OF Certificate }

signed by a Master List Signer whose certificate is issued by the publishing state's CSCA (which
is normally in the list itself, e.g. the German BSI list).
"""

from __future__ import annotations

from dataclasses import dataclass

from asn1crypto import core
from asn1crypto import x509 as ax509

from ..errors import ASN1_DECODE_ERRORS, ParseError
from ..lds.sod import encap_content_bytes, parse_content_info, signer_info_from_asn1
from ..results import CheckResult, CheckState
from . import certs, signature

ID_ICAO_CSCA_MASTER_LIST = "2.23.136.1.1.2"
MAX_ML_SIZE = 32 * 1024 * 1024
MAX_ML_CERTS = 20000


class _CertSet(core.SetOf):
    _child_spec = ax509.Certificate


class CscaMasterListAsn1(core.Sequence):
    _fields = [("version", core.Integer), ("cert_list", _CertSet)]


@dataclass(frozen=True)
class MasterList:
    """A parsed and checked master list. `signature` says whether it can be trusted."""

    version: int
    certificates: tuple[ax509.Certificate, ...]
    signer: ax509.Certificate | None
    signature: CheckResult  # CMS signature by the signer certificate
    signer_chain: CheckResult  # signer certificate issued by a CSCA in the list (or trust)
    skipped: int = 0  # listed certificates that could not be parsed

    @property
    def signer_subject(self) -> str:
        return certs.subject_str(self.signer) if self.signer is not None else ""

    @property
    def countries(self) -> list[str]:
        return sorted({c for c in (certs.country(x) for x in self.certificates) if c})


def parse_master_list(data: bytes, extra_issuers: tuple[ax509.Certificate, ...] = ()
                      ) -> MasterList:
    """Parse a .ml file (DER ContentInfo) and verify its signature; ParseError on junk."""
    if len(data) > MAX_ML_SIZE:
        raise ParseError(f"master list of {len(data)} bytes is too large")
    signed = parse_content_info(data, ID_ICAO_CSCA_MASTER_LIST, "master list")
    try:
        content = encap_content_bytes(signed, "master list")
        ml = CscaMasterListAsn1.load(content, strict=True)
        version = ml["version"].native
        cert_list = ml["cert_list"]
        if len(cert_list) > MAX_ML_CERTS:
            raise ParseError(f"master list holds {len(cert_list)} certificates: too many")
        parsed = []
        skipped = 0
        for c in cert_list:
            try:  # real lists carry a few oddly encoded certificates: skip them, count them
                parsed.append(certs.load_certificate(c.dump()))
            except ParseError:
                skipped += 1
        listed = tuple(parsed)
        embedded = []
        if not isinstance(signed["certificates"], core.Void):
            embedded = [certs.load_certificate(c.chosen.dump()) for c in signed["certificates"]
                        if c.name == "certificate"]
        infos = [signer_info_from_asn1(si) for si in signed["signer_infos"]]
    except ParseError:
        raise
    except ASN1_DECODE_ERRORS as exc:
        raise ParseError(f"master list: malformed ({exc.__class__.__name__})") from None
    if len(infos) != 1:
        return MasterList(version, listed, None,
                          CheckResult("ml_signature", CheckState.INVALID,
                                      f"{len(infos)} signer infos (expected 1)"),
                          CheckResult("ml_signer_chain", CheckState.NOT_PERFORMED, ""))
    si = infos[0]
    signer = signature.find_signer_certificate(si, embedded + list(listed))
    if signer is None:
        sig = CheckResult("ml_signature", CheckState.UNVERIFIABLE,
                          "master list signer certificate not included")
        return MasterList(version, listed, None, sig,
                          CheckResult("ml_signer_chain", CheckState.NOT_PERFORMED, ""))
    try:
        signature.verify_signer_info(si, content, ID_ICAO_CSCA_MASTER_LIST, certs.spki(signer))
        sig = CheckResult("ml_signature", CheckState.VALID,
                          f"signed by {certs.subject_str(signer)}")
    except signature.SignatureInvalid as exc:
        sig = CheckResult("ml_signature", CheckState.INVALID, f"master list {exc}")
    except signature.SignatureUnsupported as exc:
        sig = CheckResult("ml_signature", CheckState.UNVERIFIABLE, str(exc))
    chain = CheckResult("ml_signer_chain", CheckState.INVALID,
                        "master list signer is not issued by any CSCA in the list")
    for issuer in (*listed, *extra_issuers):
        if not certs.same_name(issuer.subject, signer.issuer):
            continue
        if certs.aki(signer) and certs.ski(issuer) and certs.aki(signer) != certs.ski(issuer):
            continue
        try:
            signature.verify_certificate(signer, certs.spki(issuer))
        except (signature.SignatureInvalid, signature.SignatureUnsupported):
            continue
        chain = CheckResult("ml_signer_chain", CheckState.VALID,
                            f"signer issued by {certs.subject_str(issuer)}")
        break
    return MasterList(version, listed, signer, sig, chain, skipped)
