"""Card side of PACE for the virtual chip (ICAO 9303-11 §4.4.4, written from the card's view).

Generic Mapping with ECDH (any standardized curve) or DH, AES or 3DES, password MRZ or CAN.
Active only when the card carries an EF.CardAccess advertising PACE. Shares with the terminal
only lds-level parsing; the curve constants, the (affine) point arithmetic, the protocol flow,
MACs and key handling are this module's own, so a bug on one side cannot hide on the other.
"""

from __future__ import annotations

import hashlib
import hmac
import logging

from Crypto.Cipher import AES, DES3
from Crypto.Hash import CMAC

from ..apdu import SW, Command
from ..lds import tlv
from ..lds.card_access import parse_card_access
from ..lds.security_infos import Mapping, PaceInfo, encode_oid, pace_algorithm
from .card import Access, Reply, VirtualCard
from .sm import AesSM, TripleDesSM, kdf

log = logging.getLogger(__name__)
STATE = "pace"

# Standardized domain parameters (ICAO 9303-11 §9.5.1 Table 4), card-side copy taken from
# OpenSSL's explicit parameters and RFC 5114 (the card shares no code with cardkit.icao).
# EC: id -> (p, a, b, Gx, Gy, n); DH: id -> (p, g, q). Checked against OpenSSL in the tests.
_EC: dict[int, tuple[int, ...]] = {
    8: (  # NIST P-192
        0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFFFFFFFFFFFF,
        0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFFFFFFFFFFFC,
        0x64210519E59C80E70FA7E9AB72243049FEB8DEECC146B9B1,
        0x188DA80EB03090F67CBF20EB43A18800F4FF0AFD82FF1012,
        0x7192B95FFC8DA78631011ED6B24CDD573F977A11E794811,
        0xFFFFFFFFFFFFFFFFFFFFFFFF99DEF836146BC9B1B4D22831,
    ),
    9: (  # brainpoolP192r1
        0xC302F41D932A36CDA7A3463093D18DB78FCE476DE1A86297,
        0x6A91174076B1E0E19C39C031FE8685C1CAE040E5C69A28EF,
        0x469A28EF7C28CCA3DC721D044F4496BCCA7EF4146FBF25C9,
        0xC0A0647EAAB6A48753B033C56CB0F0900A2F5C4853375FD6,
        0x14B690866ABD5BB88B5F4828C1490002E6773FA2FA299B8F,
        0xC302F41D932A36CDA7A3462F9E9E916B5BE8F1029AC4ACC1,
    ),
    10: (  # NIST P-224
        0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF000000000000000000000001,
        0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFE,
        0xB4050A850C04B3ABF54132565044B0B7D7BFD8BA270B39432355FFB4,
        0xB70E0CBD6BB4BF7F321390B94A03C1D356C21122343280D6115C1D21,
        0xBD376388B5F723FB4C22DFE6CD4375A05A07476444D5819985007E34,
        0xFFFFFFFFFFFFFFFFFFFFFFFFFFFF16A2E0B8F03E13DD29455C5C2A3D,
    ),
    11: (  # brainpoolP224r1
        0xD7C134AA264366862A18302575D1D787B09F075797DA89F57EC8C0FF,
        0x68A5E62CA9CE6C1C299803A6C1530B514E182AD8B0042A59CAD29F43,
        0x2580F63CCFE44138870713B1A92369E33E2135D266DBB372386C400B,
        0xD9029AD2C7E5CF4340823B2A87DC68C9E4CE3174C1E6EFDEE12C07D,
        0x58AA56F772C0726F24C6B89E4ECDAC24354B9E99CAA3F6D3761402CD,
        0xD7C134AA264366862A18302575D0FB98D116BC4B6DDEBCA3A5A7939F,
    ),
    12: (  # NIST P-256
        0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF,
        0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFC,
        0x5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B,
        0x6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296,
        0x4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5,
        0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551,
    ),
    13: (  # brainpoolP256r1
        0xA9FB57DBA1EEA9BC3E660A909D838D726E3BF623D52620282013481D1F6E5377,
        0x7D5A0975FC2C3057EEF67530417AFFE7FB8055C126DC5C6CE94A4B44F330B5D9,
        0x26DC5C6CE94A4B44F330B5D9BBD77CBF958416295CF7E1CE6BCCDC18FF8C07B6,
        0x8BD2AEB9CB7E57CB2C4B482FFC81B7AFB9DE27E1E3BD23C23A4453BD9ACE3262,
        0x547EF835C3DAC4FD97F8461A14611DC9C27745132DED8E545C1D54C72F046997,
        0xA9FB57DBA1EEA9BC3E660A909D838D718C397AA3B561A6F7901E0E82974856A7,
    ),
    14: (  # brainpoolP320r1
        int("D35E472036BC4FB7E13C785ED201E065F98FCFA6F6F40DEF4F92B9EC7893EC28FCD412B1"
            "F1B32E27", 16),
        int("3EE30B568FBAB0F883CCEBD46D3F3BB8A2A73513F5EB79DA66190EB085FFA9F492F375A9"
            "7D860EB4", 16),
        int("520883949DFDBC42D3AD198640688A6FE13F41349554B49ACC31DCCD884539816F5EB4AC"
            "8FB1F1A6", 16),
        int("43BD7E9AFB53D8B85289BCC48EE5BFE6F20137D10A087EB6E7871E2A10A599C710AF8D0D"
            "39E20611", 16),
        int("14FDD05545EC1CC8AB4093247F77275E0743FFED117182EAA9C77877AAAC6AC7D35245D1"
            "692E8EE1", 16),
        int("D35E472036BC4FB7E13C785ED201E065F98FCFA5B68F12A32D482EC7EE8658E98691555B"
            "44C59311", 16),
    ),
    15: (  # NIST P-384
        int("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFFFF"
            "0000000000000000FFFFFFFF", 16),
        int("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFFFF"
            "0000000000000000FFFFFFFC", 16),
        int("B3312FA7E23EE7E4988E056BE3F82D19181D9C6EFE8141120314088F5013875AC656398D"
            "8A2ED19D2A85C8EDD3EC2AEF", 16),
        int("AA87CA22BE8B05378EB1C71EF320AD746E1D3B628BA79B9859F741E082542A385502F25D"
            "BF55296C3A545E3872760AB7", 16),
        int("3617DE4A96262C6F5D9E98BF9292DC29F8F41DBD289A147CE9DA3113B5F0B8C00A60B1CE"
            "1D7E819D7A431D7C90EA0E5F", 16),
        int("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC7634D81F4372DDF581A0DB2"
            "48B0A77AECEC196ACCC52973", 16),
    ),
    16: (  # brainpoolP384r1
        int("8CB91E82A3386D280F5D6F7E50E641DF152F7109ED5456B412B1DA197FB71123ACD3A729"
            "901D1A71874700133107EC53", 16),
        int("7BC382C63D8C150C3C72080ACE05AFA0C2BEA28E4FB22787139165EFBA91F90F8AA5814A"
            "503AD4EB04A8C7DD22CE2826", 16),
        int("4A8C7DD22CE28268B39B55416F0447C2FB77DE107DCD2A62E880EA53EEB62D57CB439029"
            "5DBC9943AB78696FA504C11", 16),
        int("1D1C64F068CF45FFA2A63A81B7C13F6B8847A3E77EF14FE3DB7FCAFE0CBD10E8E826E034"
            "36D646AAEF87B2E247D4AF1E", 16),
        int("8ABE1D7520F9C2A45CB1EB8E95CFD55262B70B29FEEC5864E19C054FF99129280E464621"
            "7791811142820341263C5315", 16),
        int("8CB91E82A3386D280F5D6F7E50E641DF152F7109ED5456B31F166E6CAC0425A7CF3AB6AF"
            "6B7FC3103B883202E9046565", 16),
    ),
    17: (  # brainpoolP512r1
        int("AADD9DB8DBE9C48B3FD4E6AE33C9FC07CB308DB3B3C9D20ED6639CCA703308717D4D9B00"
            "9BC66842AECDA12AE6A380E62881FF2F2D82C68528AA6056583A48F3", 16),
        int("7830A3318B603B89E2327145AC234CC594CBDD8D3DF91610A83441CAEA9863BC2DED5D5A"
            "A8253AA10A2EF1C98B9AC8B57F1117A72BF2C7B9E7C1AC4D77FC94CA", 16),
        int("3DF91610A83441CAEA9863BC2DED5D5AA8253AA10A2EF1C98B9AC8B57F1117A72BF2C7B9"
            "E7C1AC4D77FC94CADC083E67984050B75EBAE5DD2809BD638016F723", 16),
        int("81AEE4BDD82ED9645A21322E9C4C6A9385ED9F70B5D916C1B43B62EEF4D0098EFF3B1F78"
            "E2D0D48D50D1687B93B97D5F7C6D5047406A5E688B352209BCB9F822", 16),
        int("7DDE385D566332ECC0EABFA9CF7822FDF209F70024A57B1AA000C55B881F8111B2DCDE49"
            "4A5F485E5BCA4BD88A2763AED1CA2B2FA8F0540678CD1E0F3AD80892", 16),
        int("AADD9DB8DBE9C48B3FD4E6AE33C9FC07CB308DB3B3C9D20ED6639CCA70330870553E5C41"
            "4CA92619418661197FAC10471DB1D381085DDADDB58796829CA90069", 16),
    ),
    18: (  # NIST P-521
        int("1FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"
            "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF", 16),
        int("1FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"
            "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC", 16),
        int("51953EB9618E1C9A1F929A21A0B68540EEA2DA725B99B315F3B8B489918EF109E1561939"
            "51EC7E937B1652C0BD3BB1BF073573DF883D2C34F1EF451FD46B503F00", 16),
        int("C6858E06B70404E9CD9E3ECB662395B4429C648139053FB521F828AF606B4D3DBAA14B5E"
            "77EFE75928FE1DC127A2FFA8DE3348B3C1856A429BF97E7E31C2E5BD66", 16),
        int("11839296A789A3BC0045C8A5FB42C7D1BD998F54449579B446817AFBD17273E662C97EE7"
            "2995EF42640C550B9013FAD0761353C7086A272C24088BE94769FD16650", 16),
        int("1FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFA51868"
            "783BF2F966B7FCC0148F709A5D03BB5C9B8899C47AEBB6FB71E91386409", 16),
    ),
}
_DH: dict[int, tuple[int, int, int]] = {
    0: (
        int("B10B8F96A080E01DDE92DE5EAE5D54EC52C99FBCFB06A3C69A6A9DCA52D23B616073E286"
            "75A23D189838EF1E2EE652C013ECB4AEA906112324975C3CD49B83BFACCBDD7D90C4BD70"
            "98488E9C219A73724EFFD6FAE5644738FAA31A4FF55BCCC0A151AF5F0DC8B4BD45BF37DF"
            "365C1A65E68CFDA76D4DA708DF1FB2BC2E4A4371", 16),
        int("A4D1CBD5C3FD34126765A442EFB99905F8104DD258AC507FD6406CFF14266D31266FEA1E"
            "5C41564B777E690F5504F213160217B4B01B886A5E91547F9E2749F4D7FBD7D3B9A92EE1"
            "909D0D2263F80A76A6A24C087A091F531DBF0A0169B6A28AD662A4D18E73AFA32D779D59"
            "18D08BC8858F4DCEF97C2A24855E6EEB22B3B2E5", 16),
        0xF518AA8781A8DF278ABA4E7D64B7CB9D49462353,
    ),
    1: (
        int("AD107E1E9123A9D0D660FAA79559C51FA20D64E5683B9FD1B54B1597B61D0A75E6FA141D"
            "F95A56DBAF9A3C407BA1DF15EB3D688A309C180E1DE6B85A1274A0A66D3F8152AD6AC212"
            "9037C9EDEFDA4DF8D91E8FEF55B7394B7AD5B7D0B6C12207C9F98D11ED34DBF6C6BA0B2C"
            "8BBC27BE6A00E0A0B9C49708B3BF8A317091883681286130BC8985DB1602E714415D9330"
            "278273C7DE31EFDC7310F7121FD5A07415987D9ADC0A486DCDF93ACC44328387315D75E1"
            "98C641A480CD86A1B9E587E8BE60E69CC928B2B9C52172E413042E9B23F10B0E16E79763"
            "C9B53DCF4BA80A29E3FB73C16B8E75B97EF363E2FFA31F71CF9DE5384E71B81C0AC4DFFE"
            "0C10E64F", 16),
        int("AC4032EF4F2D9AE39DF30B5C8FFDAC506CDEBE7B89998CAF74866A08CFE4FFE3A6824A4E"
            "10B9A6F0DD921F01A70C4AFAAB739D7700C29F52C57DB17C620A8652BE5E9001A8D66AD7"
            "C17669101999024AF4D027275AC1348BB8A762D0521BC98AE247150422EA1ED409939D54"
            "DA7460CDB5F6C6B250717CBEF180EB34118E98D119529A45D6F834566E3025E316A330EF"
            "BB77A86F0C1AB15B051AE3D428C8F8ACB70A8137150B8EEB10E183EDD19963DDD9E263E4"
            "770589EF6AA21E7F5F2FF381B539CCE3409D13CD566AFBB48D6C019181E1BCFE94B30269"
            "EDFE72FE9B6AA4BD7B5A0F1C71CFFF4C19C418E1F6EC017981BC087F2A7065B384B890D3"
            "191F2BFA", 16),
        0x801C0D34C58D93FE997177101F80535A4738CEBCBF389A99B36371EB,
    ),
    2: (
        int("87A8E61DB4B6663CFFBBD19C651959998CEEF608660DD0F25D2CEED4435E3B00E00DF8F1"
            "D61957D4FAF7DF4561B2AA3016C3D91134096FAA3BF4296D830E9A7C209E0C6497517ABD"
            "5A8A9D306BCF67ED91F9E6725B4758C022E0B1EF4275BF7B6C5BFC11D45F9088B941F54E"
            "B1E59BB8BC39A0BF12307F5C4FDB70C581B23F76B63ACAE1CAA6B7902D52526735488A0E"
            "F13C6D9A51BFA4AB3AD8347796524D8EF6A167B5A41825D967E144E5140564251CCACB83"
            "E6B486F6B3CA3F7971506026C0B857F689962856DED4010ABD0BE621C3A3960A54E710C3"
            "75F26375D7014103A4B54330C198AF126116D2276E11715F693877FAD7EF09CADB094AE9"
            "1E1A1597", 16),
        int("3FB32C9B73134D0B2E77506660EDBD484CA7B18F21EF205407F4793A1A0BA12510DBC150"
            "77BE463FFF4FED4AAC0BB555BE3A6C1B0C6B47B1BC3773BF7E8C6F62901228F8C28CBB18"
            "A55AE31341000A650196F931C77A57F2DDF463E5E9EC144B777DE62AAAB8A8628AC376D2"
            "82D6ED3864E67982428EBC831D14348F6F2F9193B5045AF2767164E1DFC967C1FB3F2E55"
            "A4BD1BFFE83B9C80D052B985D182EA0ADB2A3B7313D3FE14C8484B1E052588B9B7D2BBD2"
            "DF016199ECD06E1557CD0915B3353BBB64E0EC377FD028370DF92B52C7891428CDC67EB6"
            "184B523D1DB246C32F63078490F00EF8D647D148D47954515E2327CFEF98C582664B4C0F"
            "6CC41659", 16),
        0x8CF83642A709A097B447997640129DA299B1A47D1EB3750BA308B0FE64F5FBD3,
    ),
}


class EcCurve:
    """Card-side curve: affine coordinates, plain double-and-add (TR-03111 §2.3)."""

    def __init__(self, p: int, a: int, b: int, gx: int, gy: int, n: int) -> None:
        self.p, self.a, self.b, self.g, self.n = p, a, b, (gx, gy), n
        self.field_bytes = (p.bit_length() + 7) // 8

    def add(self, p1, p2):
        if p1 is None:
            return p2
        if p2 is None:
            return p1
        p = self.p
        if p1[0] == p2[0]:
            if (p1[1] + p2[1]) % p == 0:
                return None
            lam = (3 * p1[0] * p1[0] + self.a) * pow(2 * p1[1], -1, p) % p
        else:
            lam = (p2[1] - p1[1]) * pow(p2[0] - p1[0], -1, p) % p
        x = (lam * lam - p1[0] - p2[0]) % p
        return (x, (lam * (p1[0] - x) - p1[1]) % p)

    def mul(self, k: int, pt):
        acc, addend = None, pt
        while k:
            if k & 1:
                acc = self.add(acc, addend)
            addend = self.add(addend, addend)
            k >>= 1
        return acc

    def encode_point(self, pt) -> bytes:
        n = self.field_bytes
        return b"\x04" + pt[0].to_bytes(n, "big") + pt[1].to_bytes(n, "big")

    def decode_point(self, data: bytes):
        n = self.field_bytes
        if len(data) != 2 * n + 1 or data[0] != 4:
            raise ValueError("not an uncompressed point")
        x, y = int.from_bytes(data[1 : n + 1], "big"), int.from_bytes(data[n + 1 :], "big")
        if not (x < self.p and y < self.p) or (y * y - x ** 3 - self.a * x - self.b) % self.p:
            raise ValueError("point not on the curve")
        return (x, y)


class DhGroup:
    def __init__(self, p: int, g: int, q: int) -> None:
        self.p, self.g, self.q = p, g, q
        self.field_bytes = (p.bit_length() + 7) // 8

    def encode_public(self, y: int) -> bytes:
        return y.to_bytes(self.field_bytes, "big")

    def decode_public(self, data: bytes) -> int:
        y = int.from_bytes(data, "big")
        if not 1 < y < self.p - 1 or pow(y, self.q, self.p) != 1:
            raise ValueError("DH value not in the group")
        return y


def by_id(pid: int) -> EcCurve | DhGroup:
    if pid in _EC:
        return EcCurve(*_EC[pid])
    return DhGroup(*_DH[pid])



def install(card: VirtualCard) -> None:
    raw = card.files.get("CardAccess")
    if not raw:
        return
    try:
        infos = [p for p in parse_card_access(raw).pace if p.algorithm]
    except Exception:  # an odd CardAccess simply means no PACE on this card
        return
    if not infos:
        return
    card.session.extra.pop(STATE, None)
    prev_mse, prev_ga = card.handlers.get(0x22), card.handlers.get(0x86)
    card.handlers[0x22] = lambda c, cmd: _mse(c, cmd, infos, prev_mse)
    card.handlers[0x86] = lambda c, cmd: _ga(c, cmd, prev_ga)


def _password(card: VirtualCard, ref: int) -> bytes | None:
    if ref == 0x01 and card.mrz_info:
        return hashlib.sha1(card.mrz_info.encode("ascii")).digest()
    if ref == 0x02:
        can = getattr(card.persona, "can", None) or getattr(card, "can", None)
        return can.encode("ascii") if can else None
    return None


def _mse(card: VirtualCard, cmd: Command, infos: list[PaceInfo], prev) -> Reply:
    if (cmd.p1, cmd.p2) != (0xC1, 0xA4):
        return prev(card, cmd) if prev else Reply(sw=SW.INS_NOT_SUPPORTED)
    try:
        fields = {t.tag: t.value for t in tlv.iter_tlv(cmd.data)}
    except Exception:
        return Reply(sw=SW.WRONG_DATA)
    oid_body = fields.get(0x80, b"")
    info = next((p for p in infos if encode_oid(p.protocol)[2:] == oid_body), None)
    ref = fields.get(0x83, b"\x00")[0:1]
    if info is None or info.algorithm is None or not ref:
        return Reply(sw=SW.WRONG_DATA)
    pid = fields[0x84][0] if 0x84 in fields and fields[0x84] else info.parameter_id
    if pid is None or pid != info.parameter_id or (pid not in _EC and pid not in _DH):
        return Reply(sw=SW.WRONG_DATA)
    pw = _password(card, ref[0])
    if pw is None:
        return Reply(sw=SW.WRONG_DATA)
    card.session.extra[STATE] = {"step": 1, "info": info, "password": pw, "params": by_id(pid)}
    return Reply()


def _cipher(alg, key: bytes, data: bytes, decrypt: bool = False) -> bytes:
    if alg.cipher == "3DES":
        c = DES3.new(key + key[:8], DES3.MODE_CBC, iv=bytes(8))
    else:
        c = AES.new(key, AES.MODE_CBC, iv=bytes(16))
    return c.decrypt(data) if decrypt else c.encrypt(data)


def _mac(alg, key: bytes, data: bytes) -> bytes:
    if alg.cipher == "AES":
        return CMAC.new(key, msg=data, ciphermod=AES).digest()[:8]
    from .sm import _retail_mac_padded

    padded = data + b"\x80" + b"\x00" * (-(len(data) + 1) % 8)
    return _retail_mac_padded(key, padded)


def _scalar(card: VirtualCard, order: int, purpose: str) -> int:
    size = (order.bit_length() + 7) // 8 + 8
    return int.from_bytes(card.random(size, purpose), "big") % (order - 1) + 1


def _encode(params, element) -> bytes:
    if isinstance(params, EcCurve):
        return params.encode_point(element)
    return element.to_bytes(params.field_bytes, "big")


def _cam_data(card: VirtualCard, params: EcCurve, st: dict) -> bytes:
    """A_IC = E(KS_enc, CA_IC), CA_IC = SK_IC^-1 · SK_Map,IC mod n, IV = E(KS_enc, -1)
    (ICAO 9303-11 §4.4.3.5.1); SK_IC is the chip's static Chip Authentication key."""
    static = card.persona.ca_private_key.private_numbers().private_value
    ca_ic = pow(static, -1, params.n) * st["sk_map"] % params.n
    plain = ca_ic.to_bytes((params.n.bit_length() + 7) // 8, "big")
    padded = plain + b"\x80" + b"\x00" * (-(len(plain) + 1) % 16)
    iv = AES.new(st["ks_enc"], AES.MODE_ECB).encrypt(b"\xff" * 16)
    return AES.new(st["ks_enc"], AES.MODE_CBC, iv=iv).encrypt(padded)


def _ga(card: VirtualCard, cmd: Command, prev) -> Reply:
    st = card.session.extra.get(STATE)
    if st is None:
        return prev(card, cmd) if prev else Reply(sw=SW.CONDITIONS_NOT_SATISFIED)
    try:
        outer = tlv.parse(cmd.data, 0x7C)
        data = {t.tag: t.value for t in outer.children()}
    except Exception:
        card.session.extra.pop(STATE, None)
        return Reply(sw=SW.WRONG_DATA)
    alg = pace_algorithm(st["info"].protocol)
    params = st["params"]
    step = st["step"]
    chained = bool(cmd.cla & 0x10)
    if step < 4 and not chained or step == 4 and chained:
        card.session.extra.pop(STATE, None)
        return Reply(sw=SW.CONDITIONS_NOT_SATISFIED)
    try:
        if step == 1 and not data:
            k_pi = kdf(st["password"], 3, alg.cipher, alg.key_bits)
            st["s"] = card.random(8 if alg.cipher == "3DES" else 16, "pace.nonce")
            st["step"] = 2
            return Reply(tlv.encode(0x7C, tlv.encode(0x80, _cipher(alg, k_pi, st["s"]))))
        if step == 2 and 0x81 in data:
            s = int.from_bytes(st["s"], "big")
            if isinstance(params, EcCurve):
                sk = _scalar(card, params.n, "pace.sk_map")
                st["sk_map"] = sk
                h = params.mul(sk, params.decode_point(data[0x81]))
                st["g"] = params.add(params.mul(s, params.g), h)
                pk = params.encode_point(params.mul(sk, params.g))
            else:
                sk = _scalar(card, params.q, "pace.sk_map")
                y = params.decode_public(data[0x81])
                st["g"] = pow(params.g, s, params.p) * pow(y, sk, params.p) % params.p
                pk = params.encode_public(pow(params.g, sk, params.p))
            st["step"] = 3
            return Reply(tlv.encode(0x7C, tlv.encode(0x82, pk)))
        if step == 3 and 0x83 in data:
            pk_ifd = data[0x83]
            if isinstance(params, EcCurve):
                sk = _scalar(card, params.n, "pace.sk_eph")
                pk_ic = params.encode_point(params.mul(sk, st["g"]))
                shared = params.mul(sk, params.decode_point(pk_ifd))
                k = shared[0].to_bytes(params.field_bytes, "big")
            else:
                sk = _scalar(card, params.q, "pace.sk_eph")
                pk_ic = params.encode_public(pow(st["g"], sk, params.p))
                k = params.encode_public(pow(params.decode_public(pk_ifd), sk, params.p))
            if pk_ic == pk_ifd:
                raise ValueError("terminal echoed the chip key")
            st.update(pk_ifd=pk_ifd, pk_ic=pk_ic, ks_enc=kdf(k, 1, alg.cipher, alg.key_bits),
                      ks_mac=kdf(k, 2, alg.cipher, alg.key_bits), step=4)
            return Reply(tlv.encode(0x7C, tlv.encode(0x84, pk_ic)))
        if step == 4 and 0x85 in data:
            card.session.extra.pop(STATE, None)
            tag = 0x86 if isinstance(params, EcCurve) else 0x84
            oid = encode_oid(alg.oid)

            def pkdo(pk: bytes) -> bytes:
                return tlv.encode(0x7F49, oid + tlv.encode(tag, pk))

            if not hmac.compare_digest(data[0x85], _mac(alg, st["ks_mac"], pkdo(st["pk_ic"]))):
                return Reply(sw=0x6300)  # wrong password (ICAO 9303-11 §4.4.4.4)
            t_ic = _mac(alg, st["ks_mac"], pkdo(st["pk_ifd"]))
            sm_class = TripleDesSM if alg.cipher == "3DES" else AesSM
            card.install_sm(sm_class(st["ks_enc"], st["ks_mac"], 0), Access.PACE)
            card.session.extra["pace_done"] = True
            card.session.extra["pace_pk_ic"] = st["pk_ic"]  # ID_PICC of Terminal Authentication
            out = tlv.encode(0x86, t_ic)
            if alg.mapping is Mapping.CAM:
                out += tlv.encode(0x8A, _cam_data(card, params, st))
            return Reply(tlv.encode(0x7C, out))
    except Exception as exc:  # hostile or malformed terminal data
        log.debug("virtual card: PACE step %d refused: %s", step, exc)
    card.session.extra.pop(STATE, None)
    return Reply(sw=SW.WRONG_DATA)


__all__ = ["install"]
