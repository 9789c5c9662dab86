"""What the issuer writes that the LDS encoders do not: DG14, DG15 and EF.SOD.

- DG14 (ICAO 9303-11 §9.2.5, BSI TR-03110-3 A.1.1): SecurityInfos with ChipAuthenticationInfo
  and ChipAuthenticationPublicKeyInfo (ECDH), plus ActiveAuthenticationInfo for an EC AA key;
- DG15 (9303-11 §6.1): the Active Authentication public key, a SubjectPublicKeyInfo in tag 6F;
- EF.SOD (9303-10 §4.6.2, 9303-12): CMS SignedData over the LDSSecurityObject, SHA-256, signed
  attributes content-type + message-digest, the DSC certificate included. Signatures are
  deterministic (RSA PKCS#1 v1.5, RFC 6979 ECDSA), so the same input gives the same bytes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from asn1crypto import algos, cms, core
from asn1crypto import keys as akeys
from asn1crypto import x509 as ax509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from ..lds import files as lds_files
from ..lds import tlv
from .pki import Signer

ID_LDS_SECURITY_OBJECT = "2.23.136.1.1.1"
ID_CA_ECDH_AES_CBC_CMAC_128 = "0.4.0.127.0.7.2.2.3.2.2"
ID_PK_ECDH = "0.4.0.127.0.7.2.2.1.2"
ID_AA = "2.23.136.1.1.5"
ECDSA_PLAIN_SHA256 = "0.4.0.127.0.7.1.1.4.1.3"


class ChipAuthenticationInfo(core.Sequence):
    _fields = [
        ("protocol", core.ObjectIdentifier),
        ("version", core.Integer),
        ("key_id", core.Integer, {"optional": True}),
    ]


class ChipAuthenticationPublicKeyInfo(core.Sequence):
    _fields = [
        ("protocol", core.ObjectIdentifier),
        ("chip_authentication_public_key", akeys.PublicKeyInfo),
        ("key_id", core.Integer, {"optional": True}),
    ]


class ActiveAuthenticationInfo(core.Sequence):
    _fields = [
        ("protocol", core.ObjectIdentifier),
        ("version", core.Integer),
        ("signature_algorithm", core.ObjectIdentifier),
    ]


class SecurityInfos(core.SetOf):
    _child_spec = core.Any


class DataGroupHash(core.Sequence):
    _fields = [("data_group_number", core.Integer), ("data_group_hash_value", core.OctetString)]


class DataGroupHashValues(core.SequenceOf):
    _child_spec = DataGroupHash


class LDSSecurityObject(core.Sequence):
    _fields = [
        ("version", core.Integer),
        ("hash_algorithm", algos.DigestAlgorithm),
        ("data_group_hash_values", DataGroupHashValues),
    ]


def _spki(public_key: object) -> bytes:
    return public_key.public_bytes(  # type: ignore[attr-defined]
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def security_infos(infos: list[core.Asn1Value]) -> bytes:
    """DER SET OF SecurityInfo, elements in DER order (X.690 §11.6)."""
    encoded = sorted(i.dump() for i in infos)
    return tlv.encode(0x31, b"".join(encoded))


def encode_dg14(ca_key: ec.EllipticCurvePrivateKey, *, key_id: int | None = None,
                aa_ec: bool = False) -> bytes:
    """DG14 with Chip Authentication (ECDH, AES-CBC-CMAC-128) and, for an EC AA key,
    ActiveAuthenticationInfo (ecdsa-plain-SHA256)."""
    ca_info: dict[str, object] = {"protocol": ID_CA_ECDH_AES_CBC_CMAC_128, "version": 1}
    pk_info: dict[str, object] = {
        "protocol": ID_PK_ECDH,
        "chip_authentication_public_key": akeys.PublicKeyInfo.load(_spki(ca_key.public_key())),
    }
    if key_id is not None:
        ca_info["key_id"] = key_id
        pk_info["key_id"] = key_id
    infos: list[core.Asn1Value] = [ChipAuthenticationInfo(ca_info),
                                   ChipAuthenticationPublicKeyInfo(pk_info)]
    if aa_ec:
        infos.append(ActiveAuthenticationInfo(
            {"protocol": ID_AA, "version": 1, "signature_algorithm": ECDSA_PLAIN_SHA256}))
    return tlv.encode(lds_files.DG_TAGS[14], security_infos(infos))


def encode_dg15(aa_public_key: object) -> bytes:
    """DG15: the AA public key as SubjectPublicKeyInfo in tag 6F."""
    return tlv.encode(lds_files.DG_TAGS[15], _spki(aa_public_key))


def lds_security_object(files: Mapping[str, bytes], algorithm: str = "sha256") -> bytes:
    """The LDSSecurityObject (version 0) over every data group in `files`."""
    hashes_ = []
    for name in sorted((n for n in files if n.startswith("DG")), key=lambda n: int(n[2:])):
        digest = hashlib.new(algorithm, files[name]).digest()
        hashes_.append({"data_group_number": int(name[2:]), "data_group_hash_value": digest})
    return LDSSecurityObject({
        "version": 0,
        "hash_algorithm": {"algorithm": algorithm},
        "data_group_hash_values": hashes_,
    }).dump()


def sign_cms(econtent: bytes, signer: Signer, econtent_type: str = ID_LDS_SECURITY_OBJECT,
             algorithm: str = "sha256") -> bytes:
    """CMS SignedData (RFC 5652 §5) over `econtent`, signed attributes content-type and
    message-digest, the signer's certificate included. Returns the ContentInfo DER."""
    h = {"sha256": hashes.SHA256(), "sha384": hashes.SHA384(), "sha512": hashes.SHA512()}[algorithm]
    cert = ax509.Certificate.load(signer.certificate.public_bytes(serialization.Encoding.DER))
    attrs = cms.CMSAttributes([
        {"type": "content_type", "values": [econtent_type]},
        {"type": "message_digest", "values": [hashlib.new(algorithm, econtent).digest()]},
    ])
    to_sign = attrs.dump()
    key = signer.private_key
    if isinstance(key, rsa.RSAPrivateKey):
        signature = key.sign(to_sign, padding.PKCS1v15(), h)
        sig_alg = {"algorithm": f"{algorithm}_rsa"}
    elif isinstance(key, ec.EllipticCurvePrivateKey):
        signature = key.sign(to_sign, ec.ECDSA(h, deterministic_signing=True))
        sig_alg = {"algorithm": f"{algorithm}_ecdsa"}
    else:
        raise TypeError("DSC key must be RSA or EC")
    signer_info = cms.SignerInfo({
        "version": "v1",
        "sid": cms.SignerIdentifier({"issuer_and_serial_number": {
            "issuer": cert.issuer, "serial_number": cert.serial_number}}),
        "digest_algorithm": {"algorithm": algorithm},
        "signed_attrs": attrs,
        "signature_algorithm": sig_alg,
        "signature": signature,
    })
    signed = cms.SignedData({
        "version": "v3",
        "digest_algorithms": [{"algorithm": algorithm}],
        "encap_content_info": {"content_type": econtent_type, "content": econtent},
        "certificates": [cert],
        "signer_infos": [signer_info],
    })
    return cms.ContentInfo({"content_type": "signed_data", "content": signed}).dump()


def encode_sod(files: Mapping[str, bytes], signer: Signer, algorithm: str = "sha256") -> bytes:
    """EF.SOD (tag 77) signing the hashes of every data group in `files`."""
    return tlv.encode(lds_files.SOD.tag or 0x77,
                      sign_cms(lds_security_object(files, algorithm), signer,
                               algorithm=algorithm))
