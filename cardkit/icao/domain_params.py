"""Standardized domain parameters for PACE / CA (ICAO 9303-11 §9.5.1 Table 4, BSI TR-03110-3 A.2.1.1)
and the small elliptic-curve arithmetic PACE Generic Mapping needs (G~ = s·G + H, TR-03111 §3.2).

`cryptography` cannot add points, so points are handled here with Jacobian arithmetic on Python
integers. Curve constants are those of SEC 2 / FIPS 186 (NIST) and RFC 5639 (brainpool); the DH
groups are RFC 5114 §2.1–2.3. Tests compare every constant with OpenSSL's explicit parameters.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import ParseError

Point = tuple[int, int] | None  # affine (x, y); None is the point at infinity


@dataclass(frozen=True)
class EcCurve:
    """A short-Weierstrass curve y² = x³ + ax + b over GF(p) with base point G of order n."""

    name: str
    oid: str
    p: int
    a: int
    b: int
    gx: int
    gy: int
    n: int
    h: int = 1

    @property
    def g(self) -> tuple[int, int]:
        return (self.gx, self.gy)

    @property
    def field_bytes(self) -> int:
        return (self.p.bit_length() + 7) // 8

    @property
    def order_bytes(self) -> int:
        return (self.n.bit_length() + 7) // 8

    @property
    def bits(self) -> int:
        return self.p.bit_length()

    # --- points ---------------------------------------------------------------------------------

    def on_curve(self, pt: Point) -> bool:
        if pt is None:
            return False
        x, y = pt
        if not (0 <= x < self.p and 0 <= y < self.p):
            return False
        return (y * y - (x * x * x + self.a * x + self.b)) % self.p == 0

    def encode_point(self, pt: Point) -> bytes:
        """Uncompressed encoding 04 || X || Y (TR-03111 §3.2.1)."""
        if pt is None:
            raise ValueError("cannot encode the point at infinity")
        n = self.field_bytes
        return b"\x04" + pt[0].to_bytes(n, "big") + pt[1].to_bytes(n, "big")

    def decode_point(self, data: bytes) -> tuple[int, int]:
        """Decode an uncompressed point and check it lies on the curve (TR-03111 §3.2.1)."""
        n = self.field_bytes
        if len(data) != 1 + 2 * n or data[0] != 0x04:
            raise ParseError(f"{self.name}: public point is not an uncompressed {1 + 2 * n}-byte point")
        pt = (int.from_bytes(data[1 : 1 + n], "big"), int.from_bytes(data[1 + n :], "big"))
        if not self.on_curve(pt):
            raise ParseError(f"{self.name}: public point is not on the curve")
        return pt

    def add(self, p1: Point, p2: Point) -> Point:
        return self._to_affine(self._jadd(self._to_jac(p1), self._to_jac(p2)))

    def neg(self, pt: Point) -> Point:
        return None if pt is None else (pt[0], (-pt[1]) % self.p)

    def mul(self, k: int, pt: Point) -> Point:
        """k·P with a fixed 4-bit window on Jacobian coordinates."""
        if pt is None or k % self.n == 0:
            return None
        k %= self.n
        base = self._to_jac(pt)
        table = [None, base]
        for _ in range(14):
            table.append(self._jadd(table[-1], base))
        acc = None
        for shift in range((k.bit_length() + 3) // 4 * 4 - 4, -1, -4):
            for _ in range(4):
                acc = self._jdouble(acc)
            nib = (k >> shift) & 0xF
            if nib:
                acc = self._jadd(acc, table[nib])
        return self._to_affine(acc)

    # Jacobian (X, Y, Z): x = X/Z², y = Y/Z³; None = infinity
    def _to_jac(self, pt: Point):
        return None if pt is None else (pt[0], pt[1], 1)

    def _to_affine(self, j) -> Point:
        if j is None:
            return None
        x, y, z = j
        p = self.p
        zi = pow(z, -1, p)
        zi2 = zi * zi % p
        return (x * zi2 % p, y * zi2 * zi % p)

    def _jdouble(self, j):
        if j is None:
            return None
        x, y, z = j
        p = self.p
        if y == 0:
            return None
        yy = y * y % p
        s = 4 * x * yy % p
        zz = z * z % p
        m = (3 * x * x + self.a * zz * zz) % p
        x3 = (m * m - 2 * s) % p
        y3 = (m * (s - x3) - 8 * yy * yy) % p
        z3 = 2 * y * z % p
        return (x3, y3, z3)

    def _jadd(self, j1, j2):
        if j1 is None:
            return j2
        if j2 is None:
            return j1
        p = self.p
        x1, y1, z1 = j1
        x2, y2, z2 = j2
        z1z1 = z1 * z1 % p
        z2z2 = z2 * z2 % p
        u1 = x1 * z2z2 % p
        u2 = x2 * z1z1 % p
        s1 = y1 * z2 * z2z2 % p
        s2 = y2 * z1 * z1z1 % p
        if u1 == u2:
            if s1 != s2:
                return None
            return self._jdouble(j1)
        h = (u2 - u1) % p
        r = (s2 - s1) % p
        hh = h * h % p
        hhh = h * hh % p
        v = u1 * hh % p
        x3 = (r * r - hhh - 2 * v) % p
        y3 = (r * (v - x3) - s1 * hhh) % p
        z3 = h * z1 * z2 % p
        return (x3, y3, z3)


@dataclass(frozen=True)
class DhGroup:
    """A prime-order subgroup of Z_p* generated by g, of order q (RFC 5114)."""

    name: str
    p: int
    g: int
    q: int

    @property
    def field_bytes(self) -> int:
        return (self.p.bit_length() + 7) // 8

    @property
    def bits(self) -> int:
        return self.p.bit_length()

    def encode_public(self, y: int) -> bytes:
        """Public value as an octet string of the length of p (TR-03111 §3.1.2)."""
        return y.to_bytes(self.field_bytes, "big")

    def decode_public(self, data: bytes) -> int:
        """Decode and validate a DH public value: 1 < y < p-1 and y^q = 1 (TR-03110-3 A.2.3)."""
        if not data or len(data) > self.field_bytes:
            raise ParseError(f"DH public value of {len(data)} bytes does not fit the group")
        y = int.from_bytes(data, "big")
        if not 1 < y < self.p - 1 or pow(y, self.q, self.p) != 1:
            raise ParseError("DH public value is not in the group")
        return y


DomainParams = EcCurve | DhGroup

STANDARD: dict[int, DomainParams] = {
    0: DhGroup(
        "1024-bit MODP, 160-bit subgroup (RFC 5114 §2.1)",
        p=int(
            "B10B8F96A080E01DDE92DE5EAE5D54EC52C99FBCFB06A3C69A6A9DCA52D23B61"
            "6073E28675A23D189838EF1E2EE652C013ECB4AEA906112324975C3CD49B83BF"
            "ACCBDD7D90C4BD7098488E9C219A73724EFFD6FAE5644738FAA31A4FF55BCCC0"
            "A151AF5F0DC8B4BD45BF37DF365C1A65E68CFDA76D4DA708DF1FB2BC2E4A4371",
            16,
        ),
        g=int(
            "A4D1CBD5C3FD34126765A442EFB99905F8104DD258AC507FD6406CFF14266D31"
            "266FEA1E5C41564B777E690F5504F213160217B4B01B886A5E91547F9E2749F4"
            "D7FBD7D3B9A92EE1909D0D2263F80A76A6A24C087A091F531DBF0A0169B6A28A"
            "D662A4D18E73AFA32D779D5918D08BC8858F4DCEF97C2A24855E6EEB22B3B2E5",
            16,
        ),
        q=0xF518AA8781A8DF278ABA4E7D64B7CB9D49462353,
    ),
    1: DhGroup(
        "2048-bit MODP, 224-bit subgroup (RFC 5114 §2.2)",
        p=int(
            "AD107E1E9123A9D0D660FAA79559C51FA20D64E5683B9FD1B54B1597B61D0A75"
            "E6FA141DF95A56DBAF9A3C407BA1DF15EB3D688A309C180E1DE6B85A1274A0A6"
            "6D3F8152AD6AC2129037C9EDEFDA4DF8D91E8FEF55B7394B7AD5B7D0B6C12207"
            "C9F98D11ED34DBF6C6BA0B2C8BBC27BE6A00E0A0B9C49708B3BF8A3170918836"
            "81286130BC8985DB1602E714415D9330278273C7DE31EFDC7310F7121FD5A074"
            "15987D9ADC0A486DCDF93ACC44328387315D75E198C641A480CD86A1B9E587E8"
            "BE60E69CC928B2B9C52172E413042E9B23F10B0E16E79763C9B53DCF4BA80A29"
            "E3FB73C16B8E75B97EF363E2FFA31F71CF9DE5384E71B81C0AC4DFFE0C10E64F",
            16,
        ),
        g=int(
            "AC4032EF4F2D9AE39DF30B5C8FFDAC506CDEBE7B89998CAF74866A08CFE4FFE3"
            "A6824A4E10B9A6F0DD921F01A70C4AFAAB739D7700C29F52C57DB17C620A8652"
            "BE5E9001A8D66AD7C17669101999024AF4D027275AC1348BB8A762D0521BC98A"
            "E247150422EA1ED409939D54DA7460CDB5F6C6B250717CBEF180EB34118E98D1"
            "19529A45D6F834566E3025E316A330EFBB77A86F0C1AB15B051AE3D428C8F8AC"
            "B70A8137150B8EEB10E183EDD19963DDD9E263E4770589EF6AA21E7F5F2FF381"
            "B539CCE3409D13CD566AFBB48D6C019181E1BCFE94B30269EDFE72FE9B6AA4BD"
            "7B5A0F1C71CFFF4C19C418E1F6EC017981BC087F2A7065B384B890D3191F2BFA",
            16,
        ),
        q=0x801C0D34C58D93FE997177101F80535A4738CEBCBF389A99B36371EB,
    ),
    2: DhGroup(
        "2048-bit MODP, 256-bit subgroup (RFC 5114 §2.3)",
        p=int(
            "87A8E61DB4B6663CFFBBD19C651959998CEEF608660DD0F25D2CEED4435E3B00"
            "E00DF8F1D61957D4FAF7DF4561B2AA3016C3D91134096FAA3BF4296D830E9A7C"
            "209E0C6497517ABD5A8A9D306BCF67ED91F9E6725B4758C022E0B1EF4275BF7B"
            "6C5BFC11D45F9088B941F54EB1E59BB8BC39A0BF12307F5C4FDB70C581B23F76"
            "B63ACAE1CAA6B7902D52526735488A0EF13C6D9A51BFA4AB3AD8347796524D8E"
            "F6A167B5A41825D967E144E5140564251CCACB83E6B486F6B3CA3F7971506026"
            "C0B857F689962856DED4010ABD0BE621C3A3960A54E710C375F26375D7014103"
            "A4B54330C198AF126116D2276E11715F693877FAD7EF09CADB094AE91E1A1597",
            16,
        ),
        g=int(
            "3FB32C9B73134D0B2E77506660EDBD484CA7B18F21EF205407F4793A1A0BA125"
            "10DBC15077BE463FFF4FED4AAC0BB555BE3A6C1B0C6B47B1BC3773BF7E8C6F62"
            "901228F8C28CBB18A55AE31341000A650196F931C77A57F2DDF463E5E9EC144B"
            "777DE62AAAB8A8628AC376D282D6ED3864E67982428EBC831D14348F6F2F9193"
            "B5045AF2767164E1DFC967C1FB3F2E55A4BD1BFFE83B9C80D052B985D182EA0A"
            "DB2A3B7313D3FE14C8484B1E052588B9B7D2BBD2DF016199ECD06E1557CD0915"
            "B3353BBB64E0EC377FD028370DF92B52C7891428CDC67EB6184B523D1DB246C3"
            "2F63078490F00EF8D647D148D47954515E2327CFEF98C582664B4C0F6CC41659",
            16,
        ),
        q=0x8CF83642A709A097B447997640129DA299B1A47D1EB3750BA308B0FE64F5FBD3,
    ),
    8: EcCurve(
        "NIST P-192", "1.2.840.10045.3.1.1",
        p=0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFFFFFFFFFFFF,
        a=0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFFFFFFFFFFFC,
        b=0x64210519E59C80E70FA7E9AB72243049FEB8DEECC146B9B1,
        gx=0x188DA80EB03090F67CBF20EB43A18800F4FF0AFD82FF1012,
        gy=0x7192B95FFC8DA78631011ED6B24CDD573F977A11E794811,
        n=0xFFFFFFFFFFFFFFFFFFFFFFFF99DEF836146BC9B1B4D22831,
        h=1,
    ),
    9: EcCurve(
        "brainpoolP192r1", "1.3.36.3.3.2.8.1.1.3",
        p=0xC302F41D932A36CDA7A3463093D18DB78FCE476DE1A86297,
        a=0x6A91174076B1E0E19C39C031FE8685C1CAE040E5C69A28EF,
        b=0x469A28EF7C28CCA3DC721D044F4496BCCA7EF4146FBF25C9,
        gx=0xC0A0647EAAB6A48753B033C56CB0F0900A2F5C4853375FD6,
        gy=0x14B690866ABD5BB88B5F4828C1490002E6773FA2FA299B8F,
        n=0xC302F41D932A36CDA7A3462F9E9E916B5BE8F1029AC4ACC1,
        h=1,
    ),
    10: EcCurve(
        "NIST P-224", "1.3.132.0.33",
        p=0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF000000000000000000000001,
        a=0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFE,
        b=0xB4050A850C04B3ABF54132565044B0B7D7BFD8BA270B39432355FFB4,
        gx=0xB70E0CBD6BB4BF7F321390B94A03C1D356C21122343280D6115C1D21,
        gy=0xBD376388B5F723FB4C22DFE6CD4375A05A07476444D5819985007E34,
        n=0xFFFFFFFFFFFFFFFFFFFFFFFFFFFF16A2E0B8F03E13DD29455C5C2A3D,
        h=1,
    ),
    11: EcCurve(
        "brainpoolP224r1", "1.3.36.3.3.2.8.1.1.5",
        p=0xD7C134AA264366862A18302575D1D787B09F075797DA89F57EC8C0FF,
        a=0x68A5E62CA9CE6C1C299803A6C1530B514E182AD8B0042A59CAD29F43,
        b=0x2580F63CCFE44138870713B1A92369E33E2135D266DBB372386C400B,
        gx=0xD9029AD2C7E5CF4340823B2A87DC68C9E4CE3174C1E6EFDEE12C07D,
        gy=0x58AA56F772C0726F24C6B89E4ECDAC24354B9E99CAA3F6D3761402CD,
        n=0xD7C134AA264366862A18302575D0FB98D116BC4B6DDEBCA3A5A7939F,
        h=1,
    ),
    12: EcCurve(
        "NIST P-256", "1.2.840.10045.3.1.7",
        p=0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF,
        a=0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFC,
        b=0x5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B,
        gx=0x6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296,
        gy=0x4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5,
        n=0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551,
        h=1,
    ),
    13: EcCurve(
        "brainpoolP256r1", "1.3.36.3.3.2.8.1.1.7",
        p=0xA9FB57DBA1EEA9BC3E660A909D838D726E3BF623D52620282013481D1F6E5377,
        a=0x7D5A0975FC2C3057EEF67530417AFFE7FB8055C126DC5C6CE94A4B44F330B5D9,
        b=0x26DC5C6CE94A4B44F330B5D9BBD77CBF958416295CF7E1CE6BCCDC18FF8C07B6,
        gx=0x8BD2AEB9CB7E57CB2C4B482FFC81B7AFB9DE27E1E3BD23C23A4453BD9ACE3262,
        gy=0x547EF835C3DAC4FD97F8461A14611DC9C27745132DED8E545C1D54C72F046997,
        n=0xA9FB57DBA1EEA9BC3E660A909D838D718C397AA3B561A6F7901E0E82974856A7,
        h=1,
    ),
    14: EcCurve(
        "brainpoolP320r1", "1.3.36.3.3.2.8.1.1.9",
        p=0xD35E472036BC4FB7E13C785ED201E065F98FCFA6F6F40DEF4F92B9EC7893EC28FCD412B1F1B32E27,
        a=0x3EE30B568FBAB0F883CCEBD46D3F3BB8A2A73513F5EB79DA66190EB085FFA9F492F375A97D860EB4,
        b=0x520883949DFDBC42D3AD198640688A6FE13F41349554B49ACC31DCCD884539816F5EB4AC8FB1F1A6,
        gx=0x43BD7E9AFB53D8B85289BCC48EE5BFE6F20137D10A087EB6E7871E2A10A599C710AF8D0D39E20611,
        gy=0x14FDD05545EC1CC8AB4093247F77275E0743FFED117182EAA9C77877AAAC6AC7D35245D1692E8EE1,
        n=0xD35E472036BC4FB7E13C785ED201E065F98FCFA5B68F12A32D482EC7EE8658E98691555B44C59311,
        h=1,
    ),
    15: EcCurve(
        "NIST P-384", "1.3.132.0.34",
        p=0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFFFF0000000000000000FFFFFFFF,
        a=0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFFFF0000000000000000FFFFFFFC,
        b=0xB3312FA7E23EE7E4988E056BE3F82D19181D9C6EFE8141120314088F5013875AC656398D8A2ED19D2A85C8EDD3EC2AEF,
        gx=0xAA87CA22BE8B05378EB1C71EF320AD746E1D3B628BA79B9859F741E082542A385502F25DBF55296C3A545E3872760AB7,
        gy=0x3617DE4A96262C6F5D9E98BF9292DC29F8F41DBD289A147CE9DA3113B5F0B8C00A60B1CE1D7E819D7A431D7C90EA0E5F,
        n=0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC7634D81F4372DDF581A0DB248B0A77AECEC196ACCC52973,
        h=1,
    ),
    16: EcCurve(
        "brainpoolP384r1", "1.3.36.3.3.2.8.1.1.11",
        p=0x8CB91E82A3386D280F5D6F7E50E641DF152F7109ED5456B412B1DA197FB71123ACD3A729901D1A71874700133107EC53,
        a=0x7BC382C63D8C150C3C72080ACE05AFA0C2BEA28E4FB22787139165EFBA91F90F8AA5814A503AD4EB04A8C7DD22CE2826,
        b=0x4A8C7DD22CE28268B39B55416F0447C2FB77DE107DCD2A62E880EA53EEB62D57CB4390295DBC9943AB78696FA504C11,
        gx=0x1D1C64F068CF45FFA2A63A81B7C13F6B8847A3E77EF14FE3DB7FCAFE0CBD10E8E826E03436D646AAEF87B2E247D4AF1E,
        gy=0x8ABE1D7520F9C2A45CB1EB8E95CFD55262B70B29FEEC5864E19C054FF99129280E4646217791811142820341263C5315,
        n=0x8CB91E82A3386D280F5D6F7E50E641DF152F7109ED5456B31F166E6CAC0425A7CF3AB6AF6B7FC3103B883202E9046565,
        h=1,
    ),
    17: EcCurve(
        "brainpoolP512r1", "1.3.36.3.3.2.8.1.1.13",
        p=0xAADD9DB8DBE9C48B3FD4E6AE33C9FC07CB308DB3B3C9D20ED6639CCA703308717D4D9B009BC66842AECDA12AE6A380E62881FF2F2D82C68528AA6056583A48F3,
        a=0x7830A3318B603B89E2327145AC234CC594CBDD8D3DF91610A83441CAEA9863BC2DED5D5AA8253AA10A2EF1C98B9AC8B57F1117A72BF2C7B9E7C1AC4D77FC94CA,
        b=0x3DF91610A83441CAEA9863BC2DED5D5AA8253AA10A2EF1C98B9AC8B57F1117A72BF2C7B9E7C1AC4D77FC94CADC083E67984050B75EBAE5DD2809BD638016F723,
        gx=0x81AEE4BDD82ED9645A21322E9C4C6A9385ED9F70B5D916C1B43B62EEF4D0098EFF3B1F78E2D0D48D50D1687B93B97D5F7C6D5047406A5E688B352209BCB9F822,
        gy=0x7DDE385D566332ECC0EABFA9CF7822FDF209F70024A57B1AA000C55B881F8111B2DCDE494A5F485E5BCA4BD88A2763AED1CA2B2FA8F0540678CD1E0F3AD80892,
        n=0xAADD9DB8DBE9C48B3FD4E6AE33C9FC07CB308DB3B3C9D20ED6639CCA70330870553E5C414CA92619418661197FAC10471DB1D381085DDADDB58796829CA90069,
        h=1,
    ),
    18: EcCurve(
        "NIST P-521", "1.3.132.0.35",
        p=0x1FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF,
        a=0x1FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC,
        b=0x51953EB9618E1C9A1F929A21A0B68540EEA2DA725B99B315F3B8B489918EF109E156193951EC7E937B1652C0BD3BB1BF073573DF883D2C34F1EF451FD46B503F00,
        gx=0xC6858E06B70404E9CD9E3ECB662395B4429C648139053FB521F828AF606B4D3DBAA14B5E77EFE75928FE1DC127A2FFA8DE3348B3C1856A429BF97E7E31C2E5BD66,
        gy=0x11839296A789A3BC0045C8A5FB42C7D1BD998F54449579B446817AFBD17273E662C97EE72995EF42640C550B9013FAD0761353C7086A272C24088BE94769FD16650,
        n=0x1FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFA51868783BF2F966B7FCC0148F709A5D03BB5C9B8899C47AEBB6FB71E91386409,
        h=1,
    ),
}

CURVES_BY_OID: dict[str, EcCurve] = {c.oid: c for c in STANDARD.values() if isinstance(c, EcCurve)}


def by_id(parameter_id: int) -> DomainParams:
    """Standardized domain parameters by ID (ICAO 9303-11 §9.5.1 Table 4)."""
    try:
        return STANDARD[parameter_id]
    except KeyError:
        raise ParseError(f"unknown standardized domain parameter ID {parameter_id}") from None


def curve_by_oid(oid: str) -> EcCurve:
    try:
        return CURVES_BY_OID[oid]
    except KeyError:
        raise ParseError(f"unsupported named curve {oid}") from None


def match_curve(p: int, a: int, b: int, gx: int, gy: int, n: int) -> EcCurve | None:
    """The standard curve with these explicit parameters (passports often spell them out)."""
    for c in CURVES_BY_OID.values():
        if (c.p, c.a % c.p, c.b, c.gx, c.gy, c.n) == (p, a % p, b, gx, gy, n):
            return c
    return None


def match_dh_group(p: int, g: int) -> DhGroup | None:
    for d in STANDARD.values():
        if isinstance(d, DhGroup) and (d.p, d.g) == (p, g):
            return d
    return None


def id_of(params: DomainParams) -> int:
    for k, v in STANDARD.items():
        if v is params:
            return k
    raise KeyError("not a standardized domain parameter set")


CRYPTOGRAPHY_CURVE_NAMES = {
    "NIST P-192": "SECP192R1", "NIST P-224": "SECP224R1", "NIST P-256": "SECP256R1",
    "NIST P-384": "SECP384R1", "NIST P-521": "SECP521R1", "brainpoolP256r1": "BrainpoolP256R1",
    "brainpoolP384r1": "BrainpoolP384R1", "brainpoolP512r1": "BrainpoolP512R1",
}


def cryptography_curve(curve: EcCurve):
    """The matching `cryptography` curve object, or None (e.g. brainpoolP192r1 is not offered)."""
    from cryptography.hazmat.primitives.asymmetric import ec

    name = CRYPTOGRAPHY_CURVE_NAMES.get(curve.name)
    return getattr(ec, name)() if name else None
