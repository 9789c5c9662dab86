"""Synthetic Vietnamese card holders for the virtual card — no real person, test PKI only.

Every persona is deterministic from its seed: the same (name, seed) gives byte-identical files.
`seed=None` gives the persona's canonical holder, Nguyễn Văn An, ID 001093000001, whose MRZ is
the README example (`IDVNM0930000011001093000001<<2`).

Built-in personas (`list_personas()`): `default`, `jp2`, `forged-dg`, `unknown-csca`,
`revoked-dsc`, `expired`, `small-le`, plus `ecdsa-dsc` (brainpoolP256r1 DSC). Other modules add theirs
with `register_persona(name, description, builder)`; a builder takes the seed and returns a
`Persona` (usually `build_persona(...)` with its own options).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from types import MappingProxyType
from typing import Any

import cv2
import numpy as np
from Crypto.Hash import SHAKE256
from Crypto.PublicKey import RSA
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from ..errors import InputError
from ..lds.com import encode_com
from ..lds.dg1 import encode_dg1
from ..lds.dg2 import encode_dg2
from ..lds.dg3 import encode_dg3
from ..lds.dg13 import encode_dg13
from ..lds.finger_image import Compression, FingerView
from ..lds.mrz import encode_vn_td1, to_mrz_name, vn_access_key
from . import face, pki
from .card import Quirks, mrz_information
from .issuer import encode_dg14, encode_dg15, encode_sod

BRAINPOOL_P256R1_N = int(
    "A9FB57DBA1EEA9BC3E660A909D838D718C397AA3B561A6F7901E0E82974856A7", 16)
DEFAULT_DATA_GROUPS = (1, 2, 3, 13, 14, 15)


@dataclass(frozen=True)
class Holder:
    """Civil data of a synthetic holder (names with Vietnamese diacritics)."""

    id_number: str  # 12 digits
    surname: str  # "Nguyễn"
    given_names: str  # "Văn An" (middle + given)
    date_of_birth: dt.date
    sex: str  # "M" | "F"
    date_of_issue: dt.date
    date_of_expiry: dt.date
    place_of_origin: str
    place_of_residence: str
    ethnicity: str = "Kinh"
    religion: str = "Không"
    identifying_features: str = ""
    father: str = ""
    mother: str = ""
    spouse: str | None = None
    old_id_number: str | None = None
    card_string: str = ""

    @property
    def full_name(self) -> str:
        return f"{self.surname} {self.given_names}"

    @property
    def document_number(self) -> str:
        """What the MRZ and BAC use: the last 9 digits of the ID (README, CCCD facts)."""
        return self.id_number[-9:]

    @property
    def can(self) -> str:
        return self.id_number[-6:]

    def __repr__(self) -> str:  # personal data stays out of logs
        return "Holder(<synthetic>)"


@dataclass(frozen=True)
class BuildOptions:
    """How a persona's chip was issued (everything but the holder)."""

    dsc: str = "rsa"
    image_type: str = "jpeg"  # "jpeg" | "jp2"
    portrait: tuple[bytes, int, int, str] | None = None  # (bytes, width, height, type)
    tamper: str | None = None  # "dg13": DG13 altered after signing
    aa_algorithm: str = "rsa"  # "rsa" (1024-bit) | "ec" (brainpoolP256r1)
    data_groups: tuple[int, ...] = DEFAULT_DATA_GROUPS
    extra_files: tuple[tuple[str, bytes], ...] = ()  # e.g. (("CardAccess", b"..."),)


@dataclass(frozen=True)
class Persona:
    """A virtual card's content: the files, the secrets the chip holds, its quirks."""

    name: str
    description: str
    seed: int | None
    holder: Holder
    files: Mapping[str, bytes] = field(compare=False, repr=False)  # read-only (cached)
    aa_private_key: Any = field(compare=False, repr=False)
    ca_private_key: ec.EllipticCurvePrivateKey = field(compare=False, repr=False)
    quirks: Quirks = Quirks()
    options: BuildOptions = field(default=BuildOptions(), repr=False)  # may hold a portrait

    @property
    def id_number(self) -> str:
        return self.holder.id_number

    @property
    def can(self) -> str:
        """Card Access Number: the last 6 digits of the ID."""
        return self.holder.can

    @property
    def date_of_birth_mrz(self) -> str:
        return self.holder.date_of_birth.strftime("%y%m%d")

    @property
    def date_of_expiry_mrz(self) -> str:
        return self.holder.date_of_expiry.strftime("%y%m%d")

    @property
    def mrz_key(self):  # -> cardkit.icao.keys.MrzKey (built by cardkit.lds.mrz.vn_access_key)
        """The BAC/PACE key a teller types: ID, date of birth, date of expiry."""
        return vn_access_key(self.holder.id_number, self.date_of_birth_mrz,
                             self.date_of_expiry_mrz)

    @property
    def mrz_information(self) -> str:
        return mrz_information(self.holder.document_number, self.date_of_birth_mrz,
                               self.date_of_expiry_mrz)

    def with_quirks(self, quirks: Quirks | None = None, **changes: Any) -> Persona:
        """The same card with other quirks (`Quirks` or fields of it)."""
        q = quirks or self.quirks
        return dataclasses.replace(self, quirks=dataclasses.replace(q, **changes))

    def with_portrait(self, image_bytes: bytes, image_type: str | None = None,
                      width: int | None = None, height: int | None = None) -> Persona:
        """The same holder with another DG2 portrait (JPEG or JPEG 2000); SOD re-signed."""
        kind = image_type or ("jp2" if image_bytes[:4] in (b"\x00\x00\x00\x0c", b"\xffO\xffQ")
                              else "jpeg")
        if kind not in ("jpeg", "jp2"):
            raise InputError("portrait type must be jpeg or jp2")
        if width is None or height is None:
            img = cv2.imdecode(np.frombuffer(image_bytes, np.uint8), cv2.IMREAD_UNCHANGED)
            if img is None:
                raise InputError("portrait image cannot be decoded (JPEG or JPEG 2000 expected)")
            height, width = img.shape[:2]
        opts = dataclasses.replace(self.options, portrait=(bytes(image_bytes), width, height,
                                                           kind), image_type=kind)
        return build_persona(self.name, self.description, self.seed, opts, quirks=self.quirks,
                             holder=self.holder)

    def with_files(self, **files: bytes) -> Persona:
        """The same card with extra or replaced files, SOD re-signed over the data groups
        (e.g. `CardAccess=...` from the PACE personas)."""
        extra = dict(self.options.extra_files)
        extra.update(files)
        opts = dataclasses.replace(self.options, extra_files=tuple(sorted(extra.items())))
        return build_persona(self.name, self.description, self.seed, opts, quirks=self.quirks,
                             holder=self.holder)


_DEFAULT_OPTIONS = BuildOptions()
_NO_QUIRKS = Quirks()


# --- synthetic holders -------------------------------------------------------------------------

_SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng",
             "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý"]
_MIDDLE = {"M": ["Văn", "Đức", "Minh", "Quốc", "Hữu", "Công"],
           "F": ["Thị", "Ngọc", "Thu", "Thanh", "Kim", "Mỹ"]}
_GIVEN = {"M": ["An", "Bình", "Dũng", "Hùng", "Khánh", "Long", "Nam", "Phúc", "Quang", "Sơn",
                "Tuấn", "Việt", "Đạt", "Hiếu"],
          "F": ["Anh", "Hà", "Hương", "Lan", "Linh", "Mai", "Nga", "Phương", "Thảo", "Trang",
                "Vy", "Yến", "Ngân", "Hằng"]}
_PROVINCES = [
    ("001", "Hà Nội", ["Phường Hàng Đào, Quận Hoàn Kiếm", "Phường Dịch Vọng, Quận Cầu Giấy"],
     ["Phố Hàng Bạc", "Đường Trần Duy Hưng", "Ngõ 12 Phố Huế"]),
    ("079", "Thành phố Hồ Chí Minh", ["Phường Bến Nghé, Quận 1", "Phường 7, Quận Gò Vấp"],
     ["Đường Lê Lợi", "Đường Nguyễn Thị Minh Khai", "Hẻm 45 Đường Quang Trung"]),
    ("048", "Đà Nẵng", ["Phường Hải Châu I, Quận Hải Châu", "Phường An Hải Bắc, Quận Sơn Trà"],
     ["Đường Bạch Đằng", "Đường Ngô Quyền"]),
    ("031", "Hải Phòng", ["Phường Máy Tơ, Quận Ngô Quyền", "Phường Cát Dài, Quận Lê Chân"],
     ["Đường Lạch Tray", "Phố Cầu Đất"]),
    ("038", "Thanh Hóa", ["Xã Quảng Thành, Thành phố Thanh Hóa", "Thị trấn Nga Sơn, Huyện Nga Sơn"],
     ["Thôn Đông", "Đường Bà Triệu"]),
    ("040", "Nghệ An", ["Xã Nghi Phú, Thành phố Vinh", "Xã Diễn Châu, Huyện Diễn Châu"],
     ["Xóm 3", "Đường Lê Duẩn"]),
    ("092", "Cần Thơ", ["Phường An Hòa, Quận Ninh Kiều", "Phường Lê Bình, Quận Cái Răng"],
     ["Đường 30 Tháng 4", "Đường Mậu Thân"]),
]
_FEATURES = ["Nốt ruồi C:2cm trên sau đuôi mắt trái", "Sẹo chấm C:1cm dưới trước cằm phải",
             "Nốt ruồi C:1,5cm dưới cánh mũi phải", "Sẹo chấm C:3cm trên trước đầu mày trái"]


def _canonical_holder() -> Holder:
    return Holder(
        id_number="001093000001", surname="Nguyễn", given_names="Văn An",
        date_of_birth=dt.date(1993, 1, 5), sex="M",
        date_of_issue=dt.date(2021, 4, 10), date_of_expiry=dt.date(2033, 1, 5),
        place_of_origin="Xã Nghi Phú, Thành phố Vinh, Nghệ An",
        place_of_residence="Số 12 Phố Hàng Bạc, Phường Hàng Đào, Quận Hoàn Kiếm, Hà Nội",
        identifying_features=_FEATURES[0],
        father="Nguyễn Văn Bình", mother="Trần Thị Lan", spouse="Lê Thị Mai",
        old_id_number="012345678", card_string="CKSIM-000000000001",
    )


def make_holder(seed: int | None) -> Holder:
    """A synthetic holder, deterministic from `seed` (None → Nguyễn Văn An)."""
    if seed is None:
        return _canonical_holder()
    r = random.Random(f"cardkit-holder-{seed}")
    sex = r.choice("MF")
    surname = r.choice(_SURNAMES)
    given = f"{r.choice(_MIDDLE[sex])} {r.choice(_GIVEN[sex])}"
    dob = dt.date(1950, 1, 1) + dt.timedelta(days=r.randrange(0, 365 * 55))
    code, province, wards, streets = r.choice(_PROVINCES)
    century = 0 if dob.year < 2000 else 2
    id12 = f"{code}{century + (sex == 'F')}{dob.year % 100:02d}{r.randrange(0, 10**6):06d}"
    issue = dt.date(2021, 1, 1) + dt.timedelta(days=r.randrange(0, 365 * 4))
    age_at_issue = issue.year - dob.year
    # CCCD validity: renewed at 25, 40 and 60; no expiry after 60 (the card says "Không thời hạn")
    # (synthetic cards are kept unexpired until 2030 at least, so the default verdict is valid)
    expiry = issue + dt.timedelta(days=365 * 15)  # no expiry after 60: the MRZ needs a date
    for limit in (25, 40, 60):
        candidate = _birthday(dob, dob.year + limit)
        if age_at_issue < limit and candidate.year >= 2030:
            expiry = candidate
            break
    o_code, o_province, o_wards, _ = r.choice(_PROVINCES)
    father_sn = surname
    return Holder(
        id_number=id12, surname=surname, given_names=given, date_of_birth=dob, sex=sex,
        date_of_issue=issue, date_of_expiry=expiry,
        place_of_origin=f"{r.choice(o_wards)}, {o_province}",
        place_of_residence=f"Số {r.randrange(1, 300)} {r.choice(streets)}, "
                           f"{r.choice(wards)}, {province}",
        identifying_features=r.choice(_FEATURES),
        father=f"{father_sn} {r.choice(_MIDDLE['M'])} {r.choice(_GIVEN['M'])}",
        mother=f"{r.choice(_SURNAMES)} {r.choice(_MIDDLE['F'])} {r.choice(_GIVEN['F'])}",
        spouse=(None if r.random() < 0.4 else
                f"{r.choice(_SURNAMES)} {r.choice(_MIDDLE['F' if sex == 'M' else 'M'])} "
                f"{r.choice(_GIVEN['F' if sex == 'M' else 'M'])}"),
        old_id_number=f"{r.randrange(10**8, 10**9)}" if dob.year < 2000 else None,
        card_string=f"CKSIM-{r.randrange(0, 10**12):012d}",
    )


def _birthday(dob: dt.date, year: int) -> dt.date:
    try:
        return dob.replace(year=year)
    except ValueError:  # 29 February
        return dt.date(year, 3, 1)


def _vn_date(d: dt.date) -> str:
    return d.strftime("%d/%m/%Y")


def dg13_fields(h: Holder) -> dict[int, Any]:
    """The 16 DG13 fields of a holder (README, CCCD facts)."""
    return {
        1: h.id_number, 2: h.full_name, 3: _vn_date(h.date_of_birth),
        4: "Nam" if h.sex == "M" else "Nữ", 5: "Việt Nam", 6: h.ethnicity, 7: h.religion,
        8: h.place_of_origin, 9: h.place_of_residence, 10: h.identifying_features,
        11: _vn_date(h.date_of_issue), 12: _vn_date(h.date_of_expiry),
        13: (h.father, h.mother), 14: (h.spouse,) if h.spouse else None,
        15: h.old_id_number, 16: h.card_string,
    }


# --- keys from the seed --------------------------------------------------------------------------


def _stream(label: str, seed: int | None) -> SHAKE256.SHAKE256_XOF:
    return SHAKE256.new(f"cardkit-sim/{label}/{seed}".encode())


@lru_cache(maxsize=32)
def aa_key(seed: int | None, algorithm: str = "rsa") -> Any:
    """Active Authentication key (TEST): RSA-1024 or EC brainpoolP256r1, from the seed."""
    if algorithm == "ec":
        return _ec_key("aa", seed)
    xof = _stream("aa-rsa", seed)
    key = RSA.generate(1024, randfunc=xof.read)
    loaded = serialization.load_der_private_key(key.export_key("DER"), password=None)
    assert isinstance(loaded, rsa.RSAPrivateKey)
    return loaded


def _ec_key(label: str, seed: int | None) -> ec.EllipticCurvePrivateKey:
    scalar = int.from_bytes(_stream(label, seed).read(40), "big") % (BRAINPOOL_P256R1_N - 1) + 1
    return ec.derive_private_key(scalar, ec.BrainpoolP256R1())


def ca_key(seed: int | None) -> ec.EllipticCurvePrivateKey:
    """Chip Authentication key (TEST): ECDH brainpoolP256r1, from the seed."""
    return _ec_key("ca", seed)


# --- issuing ------------------------------------------------------------------------------------


def _finger_views(seed: int | None) -> list[FingerView]:
    """Two tiny synthetic ridge patterns (8-bit grey, uncompressed) — DG3 is refused anyway."""
    r = random.Random(f"cardkit-finger-{seed}")
    views = []
    yy, xx = np.mgrid[0:48, 0:40]
    for position in (2, 7):  # right index, left index
        fx, fy, ph = r.uniform(0.2, 0.4), r.uniform(0.05, 0.2), r.uniform(0, 6.28)
        img = (127 + 100 * np.sin(fx * xx + fy * yy + 0.004 * (xx - 20) ** 2 + ph)).astype(
            np.uint8)
        views.append(FingerView(position=position, view_number=1, view_count=1, quality=60,
                                impression_type=0, width=40, height=48,
                                image_bytes=img.tobytes()))
    return views


def build_persona(name: str, description: str, seed: int | None,
                  options: BuildOptions = _DEFAULT_OPTIONS, *, quirks: Quirks = _NO_QUIRKS,
                  holder: Holder | None = None) -> Persona:
    """Issue a card: DG1, DG2, DG3, DG13, DG14, DG15, EF.COM, EF.SOD (+ `extra_files`)."""
    h = holder or make_holder(seed)
    mrz = encode_vn_td1(id12=h.id_number, date_of_birth=h.date_of_birth.strftime("%y%m%d"),
                        sex=h.sex, date_of_expiry=h.date_of_expiry.strftime("%y%m%d"),
                        primary_identifier=to_mrz_name(h.surname),
                        secondary_identifier=to_mrz_name(h.given_names))
    face_seed = 0 if seed is None else seed + 1
    if options.portrait is not None:
        image, width, height, kind = options.portrait
    elif options.image_type == "jp2":
        image, width, height, kind = face.portrait_jp2(face_seed), face.WIDTH, face.HEIGHT, "jp2"
    else:
        image, width, height, kind = face.portrait_jpeg(face_seed), face.WIDTH, face.HEIGHT, "jpeg"
    aa = aa_key(seed, options.aa_algorithm)
    ca = ca_key(seed)
    dgs: dict[int, bytes] = {
        1: encode_dg1(mrz),
        2: encode_dg2(image, width, height, 1 if kind == "jp2" else 0),
        3: encode_dg3(_finger_views(seed), compression=Compression.UNCOMPRESSED),
        13: encode_dg13(dg13_fields(h)),
        14: encode_dg14(ca, aa_ec=options.aa_algorithm == "ec"),
        15: encode_dg15(aa.public_key()),
    }
    files: dict[str, bytes] = {f"DG{n}": dgs[n] for n in options.data_groups if n in dgs}
    for fname, data in options.extra_files:
        files[fname] = data
    files["COM"] = encode_com(sorted(int(n[2:]) for n in files if n.startswith("DG")))
    files["SOD"] = encode_sod(files, pki.dsc(options.dsc))
    if options.tamper == "dg13":
        forged = dict(dg13_fields(h))
        forged[2] = "Trần Văn Giả"  # altered after signing: the SOD hash no longer matches
        files["DG13"] = encode_dg13(forged)
    return Persona(name, description, seed, h, MappingProxyType(files), aa, ca, quirks, options)


# --- registry -----------------------------------------------------------------------------------

Builder = Callable[[int | None], Persona]
_REGISTRY: dict[str, tuple[str, Builder]] = {}


def register_persona(name: str, description: str, builder: Builder) -> None:
    """Add (or replace) a persona; `builder(seed)` must be deterministic."""
    _REGISTRY[name] = (description, builder)
    _cached.cache_clear()


def list_personas() -> list[tuple[str, str]]:
    _load_plugins()
    return [(name, desc) for name, (desc, _) in _REGISTRY.items()]


def get_persona(name: str, seed: int | None = None) -> Persona:
    """The persona `name` (seed None → its canonical holder). Cached: same args, same object."""
    _load_plugins()
    if name not in _REGISTRY:
        known = ", ".join(n for n, _ in list_personas())
        raise InputError(f"no virtual-card persona named {name!r} (known: {known})")
    return _cached(name, seed)


@lru_cache(maxsize=64)
def _cached(name: str, seed: int | None) -> Persona:
    return _REGISTRY[name][1](seed)


_plugins_loaded = False


def _load_plugins() -> None:
    """Register the personas of cardkit.sim.personas_eac (PACE/CA/AA) and personas_hostile
    (lying chips); they import this module, so they are imported on first use, not at the top."""
    global _plugins_loaded
    if _plugins_loaded:
        return
    _plugins_loaded = True
    from . import personas_eac, personas_hostile  # noqa: F401 - register their personas


def _simple(name: str, description: str, options: BuildOptions = _DEFAULT_OPTIONS,
            quirks: Quirks = _NO_QUIRKS) -> None:
    register_persona(name, description,
                     lambda seed: build_persona(name, description, seed, options, quirks=quirks))


_simple("default", "BAC, JPEG portrait (~15 KB DG2), RSA-2048 DSC — everything valid")
_simple("jp2", "BAC, JPEG 2000 portrait, ECDSA P-256 DSC", BuildOptions(image_type="jp2",
                                                                          dsc="p256"))
_simple("ecdsa-dsc", "BAC, JPEG portrait, ECDSA brainpoolP256r1 DSC, EC AA key",
        BuildOptions(dsc="bp256", aa_algorithm="ec"))
_simple("forged-dg", "DG13 altered after signing: its SOD hash does not match",
        BuildOptions(tamper="dg13"))
_simple("unknown-csca", "DSC issued by a CSCA that is not in the exported trust store",
        BuildOptions(dsc="unknown-csca"))
_simple("revoked-dsc", "DSC listed in the exported CRL", BuildOptions(dsc="revoked"))
register_persona(
    "expired", "genuine chip (all signatures valid) whose document expired on 2024-01-05",
    lambda seed: build_persona(
        "expired", "genuine chip (all signatures valid) whose document expired on 2024-01-05",
        seed, holder=dataclasses.replace(make_holder(seed), date_of_issue=dt.date(2012, 1, 5),
                                         date_of_expiry=dt.date(2024, 1, 5))))
_simple("small-le", "reader-hostile chip: READ BINARY Le at most 0x80, no extended length",
        quirks=Quirks(max_le=0x80, extended_length=False))


def _digest(p: Persona) -> str:
    """SHA-256 over all files (for determinism checks and fixtures)."""
    h = hashlib.sha256()
    for name in sorted(p.files):
        h.update(name.encode() + b"\0" + p.files[name])
    return h.hexdigest()
