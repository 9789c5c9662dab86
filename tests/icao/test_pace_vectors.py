"""PACE against published worked examples: ICAO 9303-11 App. G.1 (ECDH GM, brainpoolP256r1),
App. G.2 (DH GM, RFC 5114 1024-bit group), the BSI EAC worked example v1.02 §3 (ECDH GM with
PIN 123456, same password encoding as a CAN), and the ICAO PACE-CAM example. Terminal keys are
injected through FixedRandom exactly as in the examples; the APDUs must match byte for byte."""

from __future__ import annotations

import pytest

from cardkit.apdu import Command, Response
from cardkit.errors import AccessDeniedError, StatusWordError
from cardkit.icao import domain_params as dp
from cardkit.icao import pace
from cardkit.icao.keys import CanKey, MrzKey
from cardkit.lds.security_infos import PaceInfo, pace_algorithm
from cardkit.rand import FixedRandom

H = bytes.fromhex
ICAO_KEY = MrzKey("T22000129", "640812", "101031")
ECDH_GM_AES128 = pace_algorithm("0.4.0.127.0.7.2.2.4.2.2")
DH_GM_AES128 = pace_algorithm("0.4.0.127.0.7.2.2.4.1.2")
BP256 = dp.by_id(13)

# ICAO 9303-11 Appendix G.1
G1 = dict(
    k_pi="89DED1B26624EC1E634C1989302849DD", z="95A3A016522EE98D01E76CB6B98B42C3",
    s="3F00C4D39D153F2B2A214A078D899B22",
    sk_map="7F4EF07B9EA82FD78AD689B38D0BC78CF21F249D953BC46F4C6E19259C010F99",
    pk_map="047ACF3EFC982EC45565A4B155129EFBC74650DCBFA6362D896FC70262E0C2CC5E"
           "544552DCB6725218799115B55C9BAA6D9F6BC3A9618E70C25AF71777A9C4922D",
    pk_map_ic="04824FBA91C9CBE26BEF53A0EBE7342A3BF178CEA9F45DE0B70AA601651FBA3F57"
              "30D8C879AAA9C9F73991E61B58F4D52EB87A0A0C709A49DC63719363CCD13C54",
    sk_map_ic="498FF49756F2DC1587840041839A85982BE7761D14715FB091EFA7BCE9058560",
    h="0460332EF2450B5D247EF6D3868397D398852ED6E8CAF6FFEEF6BF85CA57057FD5"
      "0840CA7415BAF3E43BD414D35AA4608B93A2CAF3A4E3EA4E82C9C13D03EB7181",
    g_hat="048CED63C91426D4F0EB1435E7CB1D74A46723A0AF21C89634F65A9AE87A9265E2"
          "8C879506743F8611AC33645C5B985C80B5F09A0B83407C1B6A4D857AE76FE522",
    sk="A73FB703AC1436A18E0CFA5ABB3F7BEC7A070E7A6788486BEE230C4A22762595",
    pk="042DB7A64C0355044EC9DF190514C625CBA2CEA48754887122F3A5EF0D5EDD301C"
       "3556F3B3B186DF10B857B58F6A7EB80F20BA5DC7BE1D43D9BF850149FBB36462",
    pk_ic="049E880F842905B8B3181F7AF7CAA9F0EFB743847F44A306D2D28C1D9EC65DF6DB"
          "7764B22277A2EDDC3C265A9F018F9CB852E111B768B326904B59A0193776F094",
    k="28768D20701247DAE81804C9E780EDE582A9996DB4A315020B2733197DB84925",
    ks_enc="F5F0E35C0D7161EE6724EE513A0D9A7F", ks_mac="FE251C7858B356B24514B3BD5F4297D1",
    t_ifd="C2B0BD78D94BA866", t_ic="3ABB9674BCE93C08",
)


class ScriptedSession:
    """A card that answers a recorded transcript and fails on any divergence."""

    def __init__(self, script: list[tuple[str, str]]) -> None:
        self.script = [(H(c), H(r)) for c, r in script]
        self.sent: list[bytes] = []
        self.sm = None

    def send(self, command: Command) -> Response:
        raw = command.to_bytes()
        self.sent.append(raw)
        expected, answer = self.script[len(self.sent) - 1]
        assert raw.hex().upper() == expected.hex().upper()
        return Response.from_bytes(answer)


def _card_access(oid_tail: str, pid: int) -> bytes:
    from cardkit.lds.security_infos import encode_pace_info, encode_security_infos

    return encode_security_infos([encode_pace_info("0.4.0.127.0.7.2.2.4." + oid_tail, 2, pid)])


def test_g1_password_key_and_nonce():
    assert pace.password_key(ICAO_KEY, ECDH_GM_AES128) == H(G1["k_pi"])
    assert pace.decrypt_nonce(H(G1["k_pi"]), H(G1["z"]), ECDH_GM_AES128) == H(G1["s"])


def test_g1_mapping_and_key_agreement_steps():
    group = pace.Group(BP256)
    sk_map = int(G1["sk_map"], 16)
    assert group.public(sk_map) == H(G1["pk_map"])
    assert BP256.encode_point(group.agree_point(sk_map, H(G1["pk_map_ic"]))) == H(G1["h"])
    # the chip's side of the same mapping gives the same H
    chip = pace.Group(BP256)
    assert chip.public(int(G1["sk_map_ic"], 16)) == H(G1["pk_map_ic"])
    mapped = group.map_generic(H(G1["s"]), sk_map, H(G1["pk_map_ic"]))
    assert BP256.encode_point(mapped.generator) == H(G1["g_hat"])
    sk = int(G1["sk"], 16)
    assert mapped.public(sk) == H(G1["pk"])
    secret = mapped.shared_secret(sk, H(G1["pk_ic"]))
    assert secret == H(G1["k"])
    ks_enc, ks_mac = pace.derive_keys(secret, ECDH_GM_AES128)
    assert (ks_enc, ks_mac) == (H(G1["ks_enc"]), H(G1["ks_mac"]))
    oid = ECDH_GM_AES128.oid
    assert pace.auth_token(ks_mac, oid, BP256, H(G1["pk_ic"]), ECDH_GM_AES128) == H(G1["t_ifd"])
    assert pace.auth_token(ks_mac, oid, BP256, H(G1["pk"]), ECDH_GM_AES128) == H(G1["t_ic"])


def _g1_script(mse: str) -> list[tuple[str, str]]:
    return [
        (mse, "9000"),
        ("10860000027C0000", "7C128010" + G1["z"] + "9000"),
        ("10860000457C438141" + G1["pk_map"] + "00", "7C438241" + G1["pk_map_ic"] + "9000"),
        ("10860000457C438341" + G1["pk"] + "00", "7C438441" + G1["pk_ic"] + "9000"),
        ("008600000C7C0A8508" + G1["t_ifd"] + "00", "7C0A8608" + G1["t_ic"] + "9000"),
    ]


def _g1_rng() -> FixedRandom:
    return FixedRandom({"pace.sk_map": H(G1["sk_map"]), "pace.sk_eph": H(G1["sk"])})


@pytest.mark.parametrize("with_id, mse", [
    (True, "0022C1A412800A04007F0007020204020283010184010D"),
    (False, "0022C1A40F800A04007F00070202040202830101"),
])
def test_g1_transcript_byte_exact(with_id, mse):
    session = ScriptedSession(_g1_script(mse))
    result = pace.perform_pace(session, ICAO_KEY, _card_access("2.2", 13), _g1_rng(),
                               send_parameter_id=with_id)
    assert len(session.sent) == 5
    assert result.session_keys == (H(G1["ks_enc"]), H(G1["ks_mac"]))
    assert result.chip_public_key == H(G1["pk_ic"])
    assert type(session.sm).__name__ == "AesSM"
    assert "F5F0E35C" not in repr(result).upper()


def test_g1_session_keys_protect_next_command():
    """SELECT eMRTD application under the App. G.1 keys, SSC 0 (published follow-on vector)."""
    session = ScriptedSession(_g1_script("0022C1A40F800A04007F00070202040202830101"))
    pace.perform_pace(session, ICAO_KEY, _card_access("2.2", 13), _g1_rng(),
                      send_parameter_id=False)
    wrapped = session.sm.wrap(Command(0x00, 0xA4, 0x04, 0x0C, H("A0000002471001")))
    assert wrapped.to_bytes() == H("0CA4040C1D871101752F676B09FAC86A87D632749A49C7CC8E08C18BA1FCE707BD9F00")


def test_wrong_password_is_access_denied():
    script = _g1_script("0022C1A40F800A04007F00070202040202830101")
    script[-1] = (script[-1][0], "6300")
    session = ScriptedSession(script)
    with pytest.raises(AccessDeniedError):
        pace.perform_pace(session, ICAO_KEY, _card_access("2.2", 13), _g1_rng(),
                          send_parameter_id=False)
    assert session.sm is None


@pytest.mark.parametrize("sw, exc", [("63C2", AccessDeniedError), ("6983", AccessDeniedError),
                                     ("6A80", StatusWordError)])
def test_mse_answers_mapped(sw, exc):
    session = ScriptedSession([("0022C1A40F800A04007F00070202040202830101", sw)])
    with pytest.raises(exc) as info:
        pace.perform_pace(session, ICAO_KEY, _card_access("2.2", 13), _g1_rng(),
                          send_parameter_id=False)
    assert len(str(info.value).splitlines()) == 1


def test_wrong_chip_token_rejected():
    script = _g1_script("0022C1A40F800A04007F00070202040202830101")
    script[-1] = (script[-1][0], "7C0A86080000000000000000" + "9000")
    with pytest.raises(Exception, match="token"):
        pace.perform_pace(ScriptedSession(script), ICAO_KEY, _card_access("2.2", 13), _g1_rng(),
                          send_parameter_id=False)


# ICAO 9303-11 Appendix G.2 (DH GM, parameter ID 0)
G2_MAP_IC = ("78879F57225AA8080D52ED0FC890A4B25336F699AA89A2D3A189654AF70729E623EA5738B26381E4DA19E0"
             "04706FACE7B235C2DBF2F38748312F3C98C2DD4882A41947B324AA1259AC22579DB93F7085655AF30889"
             "DBB845D9E6783FE42C9F2449400306254C8AE8EE9DD812A804C0B66E8CAFC14F84D8258950A91B44126EE6")
G2_PK_MAP = ("23FB3749EA030D2A25B278D2A562047ADE3F01B74F17A15402CB7352CA7D2B3EB71C343DB13D1DEBCE9A36"
             "66DBCFC920B49174A602CB47965CAA73DC702489A44D41DB914DE9613DC5E98C94160551C0DF86274B9359"
             "BC0490D01B03AD54022DCB4F57FAD6322497D7A1E28D46710F461AFE710FBBBC5F8BA166F4311975EC6C")
G2_PK = ("907D89E2D425A178AA81AF4A7774EC8E388C115CAE67031E85EECE520BD911551B9AE4D04369F29A02626C86"
         "FBC6747CC7BC352645B6161A2A42D44EDA80A08FA8D61B76D3A154AD8A5A51786B0BC07147057871A922212C"
         "5F67F43173172236B7747D1671E6D692A3C7D40A0C3C5CE397545D015C175EB5130551EDBC2EE5D4")
G2_PK_IC = ("075693D9AE941877573E634B6E644F8E60AF17A0076B8B123D9201074D36152BD8B3A213F53820C42ADC79AB"
            "5D0AEEC3AEFB91394DA476BD97B9B14D0A65C1FC71A0E019CB08AF55E1F729005FBA7E3FA5DC41899238A2"
            "50767A6D46DB974064386CD456743585F8E5D90CC8B4004B1F6D866C79CE0584E49687FF61BC29AEA1")
G2_G_HAT = ("7C9CBFE98F9FBDDA8D143506FA7D9306F4CB17E3C71707AFF5E1C1A12370249684D64EE37AF44B8DBD9D45BF"
            "6023919CBAA027AB97ACC771666C8E98FF483301BFA4872DEDE9034EDFACB70814166B7F360676829B826B"
            "EA57291B5AD69FBC84EF1E779032A305803F74341793E869742D401325B37EE8565FFCDEE618342DC5")


def test_g2_dh_generic_mapping_transcript():
    script = [
        ("0022C1A40F800A04007F00070202040102830101", "9000"),
        ("10860000027C0000", "7C128010854D8DF5827FA6852D1A4FA701CDDDCA9000"),
        ("10860000867C818381818023FB3749EA030D2A25B278D2A5" + G2_PK_MAP[44:] + "00",
         "7C8183828180" + G2_MAP_IC + "9000"),
        ("10860000867C8183838180" + G2_PK + "00", "7C8183848180" + G2_PK_IC + "9000"),
        ("008600000C7C0A8508B46DD9BD4D98381F00", "7C0A8608917F37B5C0E6D8D19000"),
    ]
    script[2] = ("10860000867C8183818180" + G2_PK_MAP + "00", script[2][1])
    rng = FixedRandom({"pace.sk_map": H("5265030F751F4AD18B08AC565FC7AC952E41618D"),
                       "pace.sk_eph": H("89CCD99B0E8D3B1F11E1296DCA68EC53411CF2CA")})
    assert pace.decrypt_nonce(pace.password_key(ICAO_KEY, DH_GM_AES128),
                              H("854D8DF5827FA6852D1A4FA701CDDDCA"), DH_GM_AES128) == \
        H("FA5B7E3E49753A0DB9178B7B9BD898C8")
    group = pace.Group(dp.by_id(0))
    mapped = group.map_generic(H("FA5B7E3E49753A0DB9178B7B9BD898C8"),
                               int("5265030F751F4AD18B08AC565FC7AC952E41618D", 16), H(G2_MAP_IC))
    assert mapped.generator == int(G2_G_HAT, 16)
    result = pace.perform_pace(ScriptedSession(script), ICAO_KEY, _card_access("1.2", 0), rng,
                               send_parameter_id=False)
    assert result.session_keys == (H("2F7F46ADCC9E7E521B45D192FAFA9126"),
                                   H("805A1D27D45A5116F73C54469462B7D8"))


# BSI "Worked Example for EAC" v1.02 §3 (PACE ECDH GM brainpoolP256r1, password "123456")
BSI = dict(
    z="CE834CDE69FFBB1D1EB21585CD709F18", k_pi="591468CDA83D65219CCCB8560233600F",
    s="7D98C00FC6C9E9543BBF94A87073A123",
    sk_map="752287F5B02DE3C4BC3E17945118C51B23C97278E4CD748048AC56BA5BDC3D46",
    pk_map="043DD29BBE5907FD21A152ADA4895FAAE7ACC55F5E50EFBFDE5AB0C6EB54F198D6"
           "15913635F0FDF5BEB383E00355F82D3C41ED0DF2E28363433DFB73856A15DC9F",
    pk_map_ic="049CFCF7582AC986D0DD52FA53123414C3E1B96B4D00ABA8E574679B70EFB5BC3B"
              "45D2F13729CC2AE178E7E241B443213533B77DBB44649A815DDC4A2384BA422A",
    h="0471850CFD80FB475947E5B1AF10FE8E6663967C2D264935B31951F763A4B03A57"
      "49167388F88F52A109167E3E6592CA0820468D1157A8E781D2F7049179B1D114",
    g_hat="043929D28BA1E5339D6C5DADE5E33BD3C2F0BD14DD77C7521532261659C918FA60"
          "14DD48FA84E62BDE438EDB4C9771D042CDB24B7788BDBAB2031C45751E777F66",
    sk="9D9A32DF93A57CCE33CA3CDD3457E33A976F293546C73550F397259C93BE0120",
    pk="04518BC4E532AD2A9BD6527804D5D665ABD51041037A0CC8AA922804EB501C222B"
       "3427388599AFAAE9FBACE2DF93E13C3C4979CD12F0AE3E3C0126028391554582",
    pk_ic="04282CF38073036AFAC216AF135BD994DA0C357F10BD4C34AFEA1042B2EB0FD680"
          "4DF3658B835AC2E7133F13691184542BB50B109963A4662ABDC08B9763AF4B5B",
    k="6E7D077CCD367C2EAA683F1E8EC534302E2D00B6ADAF8A87A6EDA78740F17606",
    ks_enc="68406B4162100563D9C901A6154D2901", ks_mac="73FF268784F72AF833FDC9464049AFC9",
    t_ifd="A27AE7B36573C1D9", t_ic="A2658C2F38600B0F",
)


def test_bsi_worked_example_pace():
    key = CanKey("123456")  # PIN and CAN share the encoding: the ASCII digits
    assert pace.password_key(key, ECDH_GM_AES128) == H(BSI["k_pi"])
    assert pace.decrypt_nonce(H(BSI["k_pi"]), H(BSI["z"]), ECDH_GM_AES128) == H(BSI["s"])
    group = pace.Group(BP256)
    assert group.public(int(BSI["sk_map"], 16)) == H(BSI["pk_map"])
    h = group.agree_point(int(BSI["sk_map"], 16), H(BSI["pk_map_ic"]))
    assert BP256.encode_point(h) == H(BSI["h"])
    mapped = group.map_generic(H(BSI["s"]), int(BSI["sk_map"], 16), H(BSI["pk_map_ic"]))
    assert BP256.encode_point(mapped.generator) == H(BSI["g_hat"])
    assert mapped.public(int(BSI["sk"], 16)) == H(BSI["pk"])
    secret = mapped.shared_secret(int(BSI["sk"], 16), H(BSI["pk_ic"]))
    assert secret == H(BSI["k"])
    ks_enc, ks_mac = pace.derive_keys(secret, ECDH_GM_AES128)
    assert (ks_enc, ks_mac) == (H(BSI["ks_enc"]), H(BSI["ks_mac"]))
    oid = ECDH_GM_AES128.oid
    assert pace.auth_token(ks_mac, oid, BP256, H(BSI["pk_ic"]), ECDH_GM_AES128) == H(BSI["t_ifd"])
    assert pace.auth_token(ks_mac, oid, BP256, H(BSI["pk"]), ECDH_GM_AES128) == H(BSI["t_ic"])


# PACE-CAM example (ICAO 9303-11, ECDH-CAM-AES-128, brainpoolP256r1, BSI test MRZ)
def test_cam_chip_authentication_data_decrypts():
    alg = pace_algorithm("0.4.0.127.0.7.2.2.4.6.2")
    key = MrzKey("C11T002JM", "960812", "231031")
    script = [
        ("0022C1A40F800A04007F00070202040602830101", "9000"),
        ("10860000027C0000", "7C128010CB60E8E0D85B76A9BD304747C2AD42E29000"),
        ("10860000457C438141047F1D410ADB7DDB3B84BF1030800981A9105D7457B4A3ADE002384F3086C67EDE"
         "1AB889104A27DB6D842B019020FBF3CEACB0DC627F7BDCAC29969E19D0E553C100",
         "7C43824104A234236AA9B9621E8EFB73B5245C0E09D2576E5277183C1208BDD55280CAE8B304F365713A356E"
         "65A451E165ECC9AC0AC46E3771342C8FE5AEDD092685338E239000"),
        ("10860000457C43834104446C934084D9DAB863944F219520076C29EE3F7AE6722B11FF319EC1C7728F95"
         "5483400BFF60BF0C5929270009277DC2A515E12575010AD9BA916CF1BF86FEFC00",
         "7C4384410402AD566F3C6EC7F9324509AD50A51FA52030782A4968FCFEDF737DAEA993333111C3B9B4C2287"
         "789BD137E7F8AA882E2A3C633CCD6ECC2C63C57AD401A09C2E19000"),
        ("008600000C7C0A8508E86BD06018A1CD3B00",
         "7C3C86088596CF055C67C1A38A301EEA964DAAE372AC990E3EFDE6333353BFC89A6704D93DA8798CF77F5B7A"
         "54BD10CBA372B42BE0B9B5F28AA8DE2F4F929000"),
    ]
    rng = FixedRandom({
        "pace.sk_map": H("5D8BB87BD74D985A4B7D4325B9F7B976FE835122773400798914AA22738135CC"),
        "pace.sk_eph": H("76ECFDAA9841C323A3F5FC5E88B88DB3EFF7E35EBF57A7E6946CB630006C2120")})
    info = PaceInfo(alg.oid, 2, 13, alg)
    result = pace.perform_pace(ScriptedSession(script), key, b"", rng, pace_info=info,
                               send_parameter_id=False)
    assert result.session_keys == (H("0A9DA4DB03BDDE39FC5202BC44B2E89E"),
                                   H("4B1C06491ED5140CA2B537D344C6C0B1"))
    assert result.cam_data == H("85DC3FA93D0952BFA82F5FD189EE75BD82F11D1F0B8ED4BF5319AC9B53C426B3")
    # PK_IC = CA_IC^-1 · PK_Map,IC must pass the CAM check, any other key must fail
    ca = int.from_bytes(result.cam_data, "big")
    pk_ic = BP256.encode_point(BP256.mul(pow(ca, -1, BP256.n), BP256.decode_point(result.chip_mapping_key)))
    assert pace.verify_cam(result, pk_ic)
    assert not pace.verify_cam(result, BP256.encode_point(BP256.mul(7, BP256.g)))
