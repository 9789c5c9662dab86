"""Terminal Authentication against the published values of the BSI "Worked Example for Extended
Access Control (EAC)", Version 1.02, section "Terminal Authentication" (ECDSA, brainpoolP512r1,
id-TA-ECDSA-SHA-512; PACE + CA + TA of an authentication terminal).

The values are copied from the OpenPACE test suite, which carries the worked example's data
(frankmorgner/openpace, src/eactest.c: tc_ecdh_cvca_cert, tc_ecdh_dv_cert, tc_ecdh_ta_cert,
tc_ecdh_ta_pcd_key (its private scalar), tc_ecdh_ta_nonce, tc_ecdh_ta_pcd_signature, ta_auxdata
empty; ID_PICC = Comp(tc_ecdh_picc_pub_key), the chip's ephemeral PACE key; Comp(PK_PCD) from
tc_ecdh_ca_pcd_pub_key, the terminal's ephemeral CA key, as in test_chip_auth_bsi_vectors.py).

Checked here: the three CV certificates parse; the CVCA → DV → terminal signatures verify with
the CVCA's explicit brainpoolP512r1 domain parameters; the published private key belongs to the
terminal certificate; and the published TA signature verifies over exactly the bytes cardkit's
Terminal Authentication signs (ID_PICC ‖ r_PICC ‖ Comp(PK_PCD)), sent in the APDUs of TR-03110-3.
"""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from cardkit.apdu import Response
from cardkit.icao import terminal_auth as ta
from cardkit.lds import cvc
from cardkit.security.cv_chain import verify_chain
from cardkit.security.terminal_key import SoftwareKey


def H(text: str) -> bytes:
    return bytes.fromhex("".join(text.split()))


TA_CERT=H("""7f21820166 7f4e81de 5f290100 420d 4445544553544456444530 3139 7f498190
060a04007f000702020202058681810433 85b484e8e994c93f55adf4a9c92da3
c063ac7d744e85d38ee070bf6ff8d7ab a2de688724b27d6bae2b1c8ae074c09b
b8808cc83036b0692898711d3f6fc321 3846e14b3154845084dfbc0eb70ae2bd
ea8eebd6796acfa4c56f5703ce5a6efe 0a266e43c3f71a1b7eec60e5c6f0850d
c4d3455f53282c9fbca85dc947d13bee 5f200d44455445535441544445303139
7f4c1206090400 7f000703010202 530500000001 10 5f2506010000090300 5f24
06010001000300 5f378180 34bb8c280a
7a593cf7c7e9f375ffffbfd92c4e3f61 88a44824215e11ef47d03428cfc91936
a2609c742ef92c5968bce65ba42aed7a ad70b7b2a31201dc152cec930d7d7954
bfbe0021ad1fd2acaa6c349a6c2fb865 14b9f03dfab99871fbd990dd8416d3ed
a2883ebd0b94401a7dbfe16e5a1db643 ee7c2fc0d5d77bae3666af""")
DV_CERT=H("""7f2182016 67f4e81de5f290100420d44
4543564341415430303030317f498190 060a04007f0007020202020586818104
0a74972e84b7d2c428fbe46d40c92d6c b56ae6a4b0af5b8bc0927e5ef6f73220
776d31693e36d685df6cf3763e41728d 967dc1963f7ca70f0ea7adb5ea856d8a
133b867b8ef4132e7ffa3e8f32cd0321 fc22199b9323376e59d84a0624919481
17178bf4db6c0ee7a235bfc3d4459183 d408232ac781c78cf5c54e2ff35ba516
5f200d44455445535444564445303139 7f4c12060904007f0007030102025305
801fffff105f25060100000903005f24 06010001000300 5f378180 98c637befa
630589219028 96a605206d5be3bff2f7 e258eb0bb06ea7e84dfbc98e35276110
c684bb23d277350e3862e6a30520808f 417b8911985880a556e1758c7fe6545b
3da03383bd7b5b51dec007139cbc44ff 320f84f2b6ad44c7b28fcaeb2b7b98e3
a2bae8322b115a8f10d48349281b4f46 45c9aae307cfae9ad6b194""")
CVCA_CERT=H("""7f218202f37f4e82026a5f290100420d
44454356434141543030303031 7f4982
021f060a04007f00070202020205 8140
aadd9db8dbe9c48b3fd4e6ae33c9fc07 cb308db3b3c9d20ed6639cca70330871
7d4d9b009bc66842aecda12ae6a380e6 2881ff2f2d82c68528aa6056583a48f3
82407830a3318b603b89e2327145ac23 4cc594cbdd8d3df91610a83441caea98
63bc2ded5d5aa8253aa10a2ef1c98b9a c8b57f1117a72bf2c7b9e7c1ac4d77fc
94ca83403df91610a83441caea9863bc 2ded5d5aa8253aa10a2ef1c98b9ac8b5
7f1117a72bf2c7b9e7c1ac4d77fc94ca dc083e67984050b75ebae5dd2809bd63
8016f7238481810481aee4bdd82ed964 5a21322e9c4c6a9385ed9f70b5d916c1
b43b62eef4d0098eff3b1f78e2d0d48d 50d1687b93b97d5f7c6d5047406a5e68
8b352209bcb9f8227dde385d566332ec c0eabfa9cf7822fdf209f70024a57b1a
a000c55b881f8111b2dcde494a5f485e 5bca4bd88a2763aed1ca2b2fa8f05406
78cd1e0f3ad808928540aadd9db8dbe9 c48b3fd4e6ae33c9fc07cb308db3b3c9
d20ed6639cca70330870553e5c414ca9 26194186611 97fac10471db1d381085d
daddb58796829ca90069868181046 4f0
9c617c0d5a4e2e88b2598af06860440c 07c5ed353a18a14e938a6cbce30594d9
4079594ccfaefe28d9aac9ac1bd37c89 b6ccbd10b14fc3aa19deb1fd03ea151a
42b892547a339618c4c9f26fa983855d 893f81413cd320ea4230d3415ebccdb5
908d91dc23c6566f47b8a0e0a19c175b dc775d8824676aacfaedea0c160e8701
015f200d444543564341415430303030 317f4c0e060904007f00070301020153
01c35f25060100000903005f24060101 000902055f378180a5e72244d0ac9cd3
e8fe9b878ea32a24f4aa060fd17c2a82 91d9797e8a60f28a2978e3f4eae840e9
5b6a64fda44d8d39a699521cd5382203 964945150a6cc4a50c49ee234ab36df6
75e44c11499080676dd5b3ac1859d98b 302ca9605cd94a51d7da5738beaa4984
8bca7777b7dc9accdaa1d0b64432b2c1 3889a4854c9ff346""")
SIG=H("""81A2D9E5891B86A0F01ADD0341C89D6E 9EF3E20C223884F27B2F2040E9721C46
C9C3CF7C0EE0A422263BA6F1EAFC693B D8738F34760B5998584F58DD25B8D60D
99D7C45957C2E2F10C0E5F91A8DC88BD 7CFA33CBF784A9DA83C800324165179D
BE71C69B2C0FD811270E436C43278184 DDB542142342DBF156E82D2A1BC19085""")

TA_PRIVATE = int("8aa2327f9d3870ab1ebb62850f85975ef7a042db920b604b688dc1da27a61c3f"
                 "8fa5dfdf1f91d226621ff1f902f14d8c903826425ac46410d87f3ddad72b0dbe", 16)
R_PICC = H("547E4EAB03B235D2")
PK_PICC_PACE = H("04 282CF38073036AFAC216AF135BD994DA0C357F10BD4C34AFEA1042B2EB0FD680"
                 "4DF3658B835AC2E7133F13691184542BB50B109963A4662ABDC08B9763AF4B5B")
PK_PCD_CA = H("04 5A7A377FC9CAFC03AC7FF45441A8B2909D88EAB8E6B0173847AB49B949DF3799"
              "A34EE57EC55268CF8B1C3EC489F8BF4CF4C68D3FD9670E89C0D5D3FFF1AAF89F")
IN_VALIDITY = dt.date(2010, 10, 1)


@pytest.fixture(scope="module")
def certs():
    return (cvc.parse_certificate(CVCA_CERT), cvc.parse_certificate(DV_CERT),
            cvc.parse_certificate(TA_CERT))


def test_certificates_parse(certs):
    cvca, dv, at = certs
    assert (cvca.chr, dv.chr, at.chr) == ("DECVCAAT00001", "DETESTDVDE019", "DETESTATDE019")
    assert cvca.is_self_signed and cvca.public_key.has_domain_parameters
    assert at.public_key.oid == cvc.TA_ECDSA + ".5"  # ECDSA with SHA-512
    assert (at.effective, at.expiration) == (dt.date(2010, 9, 30), dt.date(2010, 10, 30))
    assert at.chat.role_oid == cvc.ROLE_AT and at.chat.template == H("0000000110")
    assert cvc.encode_certificate(at.body, at.signature) == TA_CERT  # re-encodes byte for byte


def test_chain_signatures_verify(certs):
    cvca, dv, at = certs
    assert cvc.curve_of(cvca.public_key).name == "brainpoolP512r1"
    assert verify_chain([dv, at], cvca, IN_VALIDITY) == []
    assert verify_chain([dv, at], cvca, dt.date(2011, 1, 1)) == [
        "DETESTDVDE019 expired on 2010-10-30", "DETESTATDE019 expired on 2010-10-30"]
    forged = cvc.parse_certificate(TA_CERT[:-1] + bytes((TA_CERT[-1] ^ 1,)))
    assert verify_chain([dv, forged], cvca, IN_VALIDITY)[0].startswith("the signature on")


def test_published_private_key_belongs_to_the_terminal_certificate(certs):
    key = ec.derive_private_key(TA_PRIVATE, ec.BrainpoolP512R1())
    point = key.public_key().public_bytes(serialization.Encoding.X962,
                                          serialization.PublicFormat.UncompressedPoint)
    assert point == certs[2].public_key.objects[0x86]


class WorkedExampleChip:
    """Answers TA's APDUs as the worked example's chip: challenge r_PICC, signature checked."""

    def __init__(self, at: cvc.CVCertificate, cvca: cvc.CVCertificate) -> None:
        self.key = cvc.public_key_object(at.public_key.with_domain(cvca.public_key))
        self.apdus: list[tuple[int, int, int, int, bytes]] = []
        self.pace_result = type("Pace", (), {"chip_public_key": PK_PICC_PACE})()
        self.ca_terminal_public = PK_PCD_CA
        self.stats = type("Stats", (), {"apdus": 0})()
        self.verified: bool | None = None

    def send(self, cmd):
        self.apdus.append((cmd.cla, cmd.ins, cmd.p1, cmd.p2, cmd.data))
        if cmd.ins == 0x84:
            return Response(R_PICC, 0x9000)
        if cmd.ins == 0x82:
            data = ta.id_picc(self) + R_PICC + ta.compress(PK_PCD_CA)
            self.verified = cvc.verify_signature(cvc.TA_ECDSA + ".5", self.key, data, cmd.data)
            return Response(b"", 0x9000 if self.verified else 0x6300)
        return Response(b"", 0x9000)


def test_published_ta_signature_over_cardkits_message(certs):
    """The published signature, sent by cardkit's TA, verifies over the bytes cardkit signs."""
    cvca, dv, at = certs
    chip = WorkedExampleChip(at, cvca)
    signed: list[bytes] = []

    def published(data: bytes, oid: str) -> bytes:
        signed.append(data)
        assert oid == cvc.TA_ECDSA + ".5"
        return SIG

    result = ta.perform_terminal_auth(chip, [dv, at], published, trusted=["DECVCAAT00001"])
    assert chip.verified is True and result.is_chr == "DETESTATDE019"
    assert signed == [PK_PICC_PACE[1:33] + R_PICC + PK_PCD_CA[1:33]]
    assert [a[:4] for a in chip.apdus] == [
        (0, 0x22, 0x81, 0xB6), (0, 0x2A, 0x00, 0xBE),  # DV certificate
        (0, 0x22, 0x81, 0xB6), (0, 0x2A, 0x00, 0xBE),  # terminal certificate
        (0, 0x22, 0x81, 0xA4), (0, 0x84, 0, 0), (0, 0x82, 0, 0)]
    assert chip.apdus[0][4] == H("830D") + b"DECVCAAT00001"
    assert chip.apdus[4][4] == H("830D") + b"DETESTATDE019"
    assert chip.apdus[3][4] == TA_CERT[5:]  # 7F4E body + 5F37 signature


def test_cardkit_signature_with_the_published_key_verifies(certs):
    """cardkit's own ECDSA (software key) with the worked example's key: the chip accepts it;
    a tampered signature is refused."""
    cvca, dv, at = certs
    key = SoftwareKey(ec.derive_private_key(TA_PRIVATE, ec.BrainpoolP512R1()))
    chip = WorkedExampleChip(at, cvca)
    ta.perform_terminal_auth(chip, [dv, at], key.sign, trusted=["DECVCAAT00001"])
    assert chip.verified is True
    chip = WorkedExampleChip(at, cvca)
    with pytest.raises(ta.TerminalAuthError) as exc:
        ta.perform_terminal_auth(chip, [dv, at], lambda d, o: SIG[:-1] + bytes((SIG[-1] ^ 1,)),
                                 trusted=["DECVCAAT00001"])
    assert exc.value.reason == "signature_refused"
