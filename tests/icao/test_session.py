"""CardSession file reading and chunking, and read_lds / open_session end to end.

Chunking is tested against small Transport subclasses written here (a plain file card, and a
reader with a limited buffer in front of the virtual card) — real transports, not pyscard mocks.
"""

from __future__ import annotations

import logging

import pytest

from cardkit.apdu import Command
from cardkit.errors import (
    AccessDeniedError,
    CardRemovedError,
    FileNotFoundOnCard,
    InputError,
    ParseError,
    SecureMessagingError,
    SecurityStatusError,
    TransmissionError,
)
from cardkit.icao.keys import CanKey, MrzKey
from cardkit.icao.reader import (
    ReadOutcome,
    card_access_offers_pace,
    open_session,
    read_card_access,
    read_lds,
)
from cardkit.icao.session import AdaptiveChunks, CardSession, FixedChunks
from cardkit.lds import tlv
from cardkit.rand import SystemRandom
from cardkit.transport.base import Transport, TransportInfo

# --- a plain file card ---------------------------------------------------------------------------


class FileCard(Transport):
    """A card holding files, no secure messaging; enforces a largest Ne, optional extended
    length, answers 6700 (or 6Cxx) when Ne is too large, can leave the field."""

    def __init__(self, files: dict[int, bytes], *, max_le: int = 65536, extended: bool = True,
                 advertise: bool | None = None, six_c: bool = False,
                 protected: frozenset[int] = frozenset(), remove_after: int | None = None,
                 max_response: int | None = None) -> None:
        self.files = files
        self.max_le, self.extended, self.advertise = max_le, extended, advertise
        self.six_c, self.protected, self.remove_after = six_c, protected, remove_after
        self.max_response = max_response
        self.current: int | None = None
        self.log: list[Command] = []

    def connect(self) -> None: ...

    def disconnect(self) -> None: ...

    @property
    def info(self) -> TransportInfo:
        return TransportInfo("file card", extended_length=self.advertise,
                             max_response=self.max_response)

    def _transmit_raw(self, apdu: bytes) -> bytes:
        if self.remove_after is not None and len(self.log) >= self.remove_after:
            raise CardRemovedError()
        cmd = Command.from_bytes(apdu)
        self.log.append(cmd)
        if len(apdu) > 5 and apdu[4] == 0 and not self.extended:
            return b"\x67\x00"
        if cmd.ins == 0xA4:
            fid = int.from_bytes(cmd.data, "big")
            if cmd.p1 == 0x00:
                return b"\x6d\x00"
            if fid not in self.files:
                return b"\x6a\x82"
            if fid in self.protected:
                return b"\x69\x82"
            self.current = fid
            return b"\x90\x00"
        if cmd.ins in (0xB0, 0xB1):
            assert self.current is not None
            content = self.files[self.current]
            ne = cmd.le or 0
            if ne > self.max_le:
                return bytes((0x6C, self.max_le & 0xFF)) if self.six_c else b"\x67\x00"
            if cmd.ins == 0xB0:
                off = (cmd.p1 << 8) | cmd.p2
                data = content[off:off + ne]
            else:
                off = int.from_bytes(tlv.parse(cmd.data, 0x54).value, "big")
                n = ne - (2 if ne <= 0x81 else 3 if ne <= 0x102 else 4)
                data = tlv.encode(0x53, content[off:off + n])
            sw = b"\x62\x82" if len(data) < ne and ne not in (256, 65536) else b"\x90\x00"
            return data + sw
        return b"\x6d\x00"


def lds_file(tag: int, size: int) -> bytes:
    """A TLV file of `size` bytes in total with a recognisable body."""
    body_len = size - 2
    while len(tlv.encode(tag, bytes(body_len))) > size:
        body_len -= 1
    body = bytes((i * 7 + 3) & 0xFF for i in range(body_len))
    out = tlv.encode(tag, body)
    assert len(out) == size
    return out


def test_read_file_small_and_progress() -> None:
    data = lds_file(0x61, 95)
    card = FileCard({0x0101: data})
    seen: list[tuple[int, int]] = []
    got = CardSession(card).read_file(0x0101, lambda d, t: seen.append((d, t)))
    assert got == data
    assert seen[-1] == (95, 95) and all(t == 95 for _, t in seen)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    assert card.log[0].to_bytes() == bytes.fromhex("00A4020C020101")  # P1=02, P2=0C


def test_adaptive_uses_extended_length_when_it_works() -> None:
    data = lds_file(0x75, 15000)
    card = FileCard({0x0102: data})
    session = CardSession(card, chunks=AdaptiveChunks())
    assert session.read_file(0x0102) == data
    reads = [c for c in card.log if c.ins == 0xB0]
    assert len(reads) == 1  # header and body in one extended READ BINARY
    assert reads[0].le > 15000


def test_end_of_file_is_not_mistaken_for_a_card_limit() -> None:
    """The first READ asks for a whole chunk; a small file answers fewer bytes because it ends,
    which must not lower the chunk size used for the next (large) file."""
    small, big = lds_file(0x61, 95), lds_file(0x75, 15000)
    card = FileCard({0x0101: small, 0x0102: big})
    session = CardSession(card, chunks=AdaptiveChunks())
    assert session.read_file(0x0101) == small and session.read_file(0x0102) == big
    reads = [c for c in card.log if c.ins == 0xB0]
    assert len(reads) == 2 and reads[1].le == reads[0].le > 15000


def test_adaptive_steps_down_without_extended_and_remembers() -> None:
    data = lds_file(0x75, 3000)
    card = FileCard({0x0102: data, 0x0101: lds_file(0x61, 1000)}, extended=False)
    session = CardSession(card, chunks=AdaptiveChunks())
    assert session.read_file(0x0102) == data
    assert session.stats.step_downs >= 1
    before = session.stats.step_downs
    assert session.read_file(0x0101) == card.files[0x0101]
    assert session.stats.step_downs == before  # learnt once per session
    reads = [c for c in card.log if c.ins == 0xB0]
    assert max(c.le for c in reads[-3:]) == 256  # largest short answer


@pytest.mark.parametrize("six_c", [False, True])
def test_adaptive_steps_down_to_a_small_card_limit(six_c: bool) -> None:
    data = lds_file(0x75, 2000)
    card = FileCard({0x0102: data}, max_le=0xA0, extended=False, six_c=six_c)
    session = CardSession(card)
    assert session.read_file(0x0102) == data
    assert all(c.le <= 0xA0 for c in card.log[-3:] if c.ins == 0xB0)
    # header + 13 chunks + at most one failure per ladder step (65533, 0x400, 256, DF, C0)
    assert sum(c.ins == 0xB0 for c in card.log) <= 1 + -(-(2000 - 8) // 0xA0) + 5


def test_transport_info_caps_chunks_without_probing() -> None:
    data = lds_file(0x75, 2000)
    card = FileCard({0x0102: data}, extended=False, advertise=False)
    session = CardSession(card)
    assert session.read_file(0x0102) == data
    assert session.stats.step_downs == 0
    assert all(c.le <= 256 for c in card.log if c.le)


def test_fixed_chunks_never_exceed_their_size() -> None:
    data = lds_file(0x75, 1500)
    for size in (0xA0, 0xDF):
        card = FileCard({0x0102: data})
        assert CardSession(card, chunks=FixedChunks(size)).read_file(0x0102) == data
        les = [c.le for c in card.log if c.ins == 0xB0]
        assert max(les) == size and len(les) == -(-1500 // size)


def test_fixed_chunks_fail_rather_than_step_down() -> None:
    card = FileCard({0x0102: lds_file(0x75, 1500)}, max_le=0x80)
    with pytest.raises(Exception, match="6700"):
        CardSession(card, chunks=FixedChunks(0xA0)).read_file(0x0102)


def test_offsets_above_7fff_use_odd_read_binary() -> None:
    data = lds_file(0x75, 40000)
    card = FileCard({0x0102: data}, extended=False)
    assert CardSession(card).read_file(0x0102) == data
    odd = [c for c in card.log if c.ins == 0xB1]
    assert odd and all(int.from_bytes(tlv.parse(c.data, 0x54).value, "big") > 0x7FFF
                       for c in odd)
    assert all(c.p1 < 0x80 for c in card.log if c.ins == 0xB0)  # offset, never an SFI


def test_file_size_bound_and_bad_header() -> None:
    huge = b"\x75\x83\x20\x00\x00" + bytes(100)  # claims 2 MiB
    with pytest.raises(ParseError, match="1 MiB"):
        CardSession(FileCard({0x0102: huge})).read_file(0x0102)
    with pytest.raises(ParseError):
        CardSession(FileCard({0x0102: b"\x75\x80\x00\x00"})).read_file(0x0102)


def test_status_errors_and_removal() -> None:
    card = FileCard({0x0101: lds_file(0x61, 95), 0x0103: lds_file(0x63, 40)},
                    protected=frozenset({0x0103}))
    session = CardSession(card)
    with pytest.raises(FileNotFoundOnCard):
        session.read_file(0x0104)
    with pytest.raises(SecurityStatusError):
        session.read_file(0x0103)
    gone = FileCard({0x0102: lds_file(0x75, 5000)}, extended=False, remove_after=5)
    with pytest.raises(CardRemovedError):
        CardSession(gone).read_file(0x0102)


def test_card_access_plain() -> None:
    ca = bytes.fromhex("31143012060A04007F0007020204020202010202010D")
    assert read_card_access(FileCard({0x011C: ca})) == ca
    assert read_card_access(FileCard({})) is None  # 6A82
    assert card_access_offers_pace(ca)
    assert not card_access_offers_pace(bytes.fromhex("3100"))
    assert not card_access_offers_pace(b"\x31\x05\x30")  # broken: no PACE, no exception


# --- the virtual card (cardkit.sim) --------------------------------------------------------------

sim_card = pytest.importorskip("cardkit.sim.card")
personas = pytest.importorskip("cardkit.sim.personas")
sim_transport = pytest.importorskip("cardkit.transport.sim")


@pytest.fixture(scope="module")
def persona():
    return personas.get_persona("default")


def sim(persona, **quirks) -> Transport:
    card = sim_card.VirtualCard(persona, quirks=sim_card.Quirks(**quirks) if quirks else None)
    t = sim_transport.SimTransport(card)
    t.connect()
    return t


class SmallBufferReader(Transport):
    """A reader in front of the virtual card that says nothing about its limits, passes
    extended APDUs, but cannot return more than `limit` response bytes: it fails with a
    transmission error, or (`cut=True`) silently truncates the answer."""

    def __init__(self, inner: Transport, limit: int, cut: bool = False) -> None:
        self.inner, self.limit, self.cut = inner, limit, cut
        self.failures = 0

    def connect(self) -> None: ...

    def disconnect(self) -> None: ...

    @property
    def info(self) -> TransportInfo:
        return TransportInfo("small buffer reader")

    def _transmit_raw(self, apdu: bytes) -> bytes:
        resp = self.inner.transmit(apdu)
        if len(resp) - 2 > self.limit:
            self.failures += 1
            if self.cut:
                return resp[: self.limit] + resp[-2:]
            raise TransmissionError("reader buffer overflow")
        return resp


def test_end_to_end_bac_read_of_default_persona(persona) -> None:
    t = sim(persona)
    assert read_card_access(t) is None  # the default persona has no EF.CardAccess
    session = open_session(t, persona.mrz_key, access="auto", rng=SystemRandom(), card_access=None)
    assert session.access_method == "bac"
    progress: list[tuple[str, int, int]] = []
    out = read_lds(session, progress=lambda n, d, tot: progress.append((n, d, tot)))
    assert isinstance(out, ReadOutcome)
    assert set(out.files) == {"COM", "SOD", "DG1", "DG2", "DG13", "DG14", "DG15"}
    for name, data in out.files.items():
        assert data == persona.files[name], name
    assert out.skipped == {"DG3": "protected: needs Terminal Authentication (EAC)"}
    assert ("DG2", len(persona.files["DG2"]), len(persona.files["DG2"])) in progress
    assert session.stats.apdus < 40  # extended length: ~2 READ BINARY per file


class CountingTransport(Transport):
    """Logs every plain APDU header the terminal sends (SM headers stay readable)."""

    def __init__(self, inner: Transport) -> None:
        self.inner = inner
        self.headers: list[bytes] = []

    def connect(self) -> None: ...

    def disconnect(self) -> None: ...

    @property
    def info(self) -> TransportInfo:
        return self.inner.info

    def _transmit_raw(self, apdu: bytes) -> bytes:
        self.headers.append(apdu[:4])
        return self.inner.transmit(apdu)


def test_one_read_binary_per_file_by_sfi_and_no_apdu_for_dg3(persona) -> None:
    t = CountingTransport(sim(persona))
    session = open_session(t, persona.mrz_key, access="bac", rng=SystemRandom())
    before = len(t.headers)
    out = read_lds(session)
    assert set(out.files) == {"COM", "SOD", "DG1", "DG2", "DG13", "DG14", "DG15"}
    assert out.skipped == {"DG3": "protected: needs Terminal Authentication (EAC)"}
    sent = t.headers[before:]
    assert len(sent) == len(out.files) and session.sfi_reads is True  # the limit
    assert all(h[1] == 0xB0 and h[2] & 0x80 for h in sent)  # READ BINARY by SFI, no SELECT
    assert 0x83 not in {h[2] for h in sent}  # DG3 (SFI 3) never asked for


def test_dg3_asked_for_explicitly_is_tried(persona) -> None:
    session = open_session(sim(persona), persona.mrz_key, access="bac", rng=SystemRandom())
    out = read_lds(session, files=["DG3", "DG1"])
    assert out.skipped == {"DG3": "protected: needs Terminal Authentication (EAC)"}
    assert out.files["DG1"] == persona.files["DG1"]


@pytest.mark.parametrize("sfi_sw", [0x6A86, 0x6A82, 0x6D00])
def test_chip_without_sfi_reads_is_read_by_select(persona, sfi_sw: int) -> None:
    t = CountingTransport(sim(persona, sfi_sw=sfi_sw))
    session = open_session(t, persona.mrz_key, access="bac", rng=SystemRandom())
    before = len(t.headers)
    out = read_lds(session)
    for name, data in out.files.items():
        assert data == persona.files[name], name
    assert session.sfi_reads is False
    sent = t.headers[before:]
    assert sum(h[2] & 0x80 and h[1] == 0xB0 for h in sent) == 1  # tried once, then SELECT
    assert len(sent) == 1 + 2 * len(out.files)  # SELECT + one READ per file afterwards


@pytest.mark.parametrize("limit,cut", [(1000, False), (300, False), (200, True)])
def test_sm_read_steps_down_behind_a_small_reader_buffer(persona, limit: int, cut: bool) -> None:
    reader = SmallBufferReader(sim(persona), limit, cut)
    session = open_session(reader, persona.mrz_key, access="bac", rng=SystemRandom())
    out = read_lds(session, files=["DG2", "DG1"])
    assert out.files["DG2"] == persona.files["DG2"] and out.files["DG1"] == persona.files["DG1"]
    assert 1 <= reader.failures <= 6  # learnt early, kept for the session


def test_sm_chunks_fit_a_short_only_card(persona) -> None:
    t = sim(persona, extended_length=False)
    session = open_session(t, persona.mrz_key, access="bac", rng=SystemRandom())
    assert read_lds(session, files=["DG2"]).files["DG2"] == persona.files["DG2"]
    assert session.stats.step_downs == 0  # transport info says: no extended length


def test_sm_odd_read_binary_beyond_32k(persona) -> None:
    big = tlv.encode(0x75, bytes(i % 251 for i in range(40000)))
    card = sim_card.VirtualCard(persona.with_files(DG2=big),
                                quirks=sim_card.Quirks(extended_length=False))
    t = sim_transport.SimTransport(card)
    t.connect()
    session = open_session(t, persona.mrz_key, access="bac", rng=SystemRandom())
    assert read_lds(session, files=["DG2"]).files["DG2"] == big  # B1 + DO'54'/'53' under SM


def test_read_lds_selected_files_and_unknown_name(persona) -> None:
    session = open_session(sim(persona), persona.mrz_key, access="bac", rng=SystemRandom())
    out = read_lds(session, files=["DG1", "DG3", "DG11"])
    assert set(out.files) == {"DG1"}
    assert out.skipped["DG11"] == "not on chip"
    with pytest.raises(KeyError):
        read_lds(session, files=["DG99"])


def test_small_le_persona_reads_with_adaptive_chunks() -> None:
    small = personas.get_persona("small-le")
    t = sim_transport.SimTransport(sim_card.VirtualCard(small))
    t.connect()
    session = open_session(t, small.mrz_key, access="bac", rng=SystemRandom())
    out = read_lds(session, files=["DG2"])
    assert out.files["DG2"] == small.files["DG2"]


PACE_CARD_ACCESS = bytes.fromhex("31143012060A04007F0007020204020202010202010D")


def test_auto_falls_back_to_bac_when_the_chip_refuses_pace(persona) -> None:
    # The base virtual card (PACE extensions not loaded) advertises PACE here but answers 6D00
    # to MSE:Set AT.
    with_ca = persona.with_files(CardAccess=PACE_CARD_ACCESS)
    card = sim_card.VirtualCard(with_ca, extensions=False)
    assert card.handlers.get(0x86) is None
    t = sim_transport.SimTransport(card)
    t.connect()
    card_access = read_card_access(t)
    assert card_access == PACE_CARD_ACCESS and card_access_offers_pace(card_access)
    session = open_session(t, with_ca.mrz_key, access="auto", rng=SystemRandom(),
                           card_access=card_access)
    assert session.access_method == "bac"
    assert read_lds(session, files=["DG1"]).files["DG1"] == with_ca.files["DG1"]
    with pytest.raises(InputError):
        open_session(sim(with_ca), with_ca.mrz_key, access="pace", rng=SystemRandom(),
                     card_access=None)


def test_wrong_key_is_access_denied(persona) -> None:
    wrong = MrzKey(persona.mrz_key.document_number, "000101", persona.mrz_key.date_of_expiry)
    with pytest.raises(AccessDeniedError, match="check the ID number"):
        open_session(sim(persona), wrong, access="bac", rng=SystemRandom())


def test_can_without_pace_is_refused(persona) -> None:
    with pytest.raises((InputError, AccessDeniedError)):
        open_session(sim(persona), CanKey(persona.can), access="auto", rng=SystemRandom())


def test_card_removed_mid_read_propagates(persona) -> None:
    t = sim(persona, remove_after=6)  # 3 to open the session, then during the reads
    session = open_session(t, persona.mrz_key, access="bac", rng=SystemRandom())
    with pytest.raises(CardRemovedError):
        read_lds(session)


def test_corrupted_mac_is_an_error_not_a_skip(persona) -> None:
    t = sim(persona, corrupt_mac_after=8)
    session = open_session(t, persona.mrz_key, access="bac", rng=SystemRandom())
    with pytest.raises(SecureMessagingError, match="integrity"):
        read_lds(session)


def test_logs_carry_no_keys_or_data(persona, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    session = open_session(sim(persona), persona.mrz_key, access="bac", rng=SystemRandom())
    read_lds(session, files=["DG1"])
    text = caplog.text
    assert "APDU" in text  # the exchange is logged ...
    secret = persona.mrz_information
    assert secret not in text and persona.id_number not in text  # ... without keys or data
    assert persona.files["DG1"][5:20].hex() not in text.replace(" ", "").lower()
