"""The counter service end to end: real uvicorn, real pcscd + vpcd, the virtual card, real faces."""

from __future__ import annotations

import base64
import json
import threading
from pathlib import Path

import httpx
import pytest

from cardkit.service.app import ServiceConfig
from cardkit.sim.personas import get_persona

from .conftest import card_on_reader, running_service

pytestmark = [pytest.mark.pcscd, pytest.mark.face]


@pytest.fixture(scope="module")
def service(pcscd_vpcd, tmp_path_factory):  # type: ignore[no-untyped-def]
    db = tmp_path_factory.mktemp("audit") / "audit.db"
    # A card is always on the reader before a job starts, except in the 409 test, where the first
    # job must still be waiting when the other requests arrive: a long (bounded) wait, never a race.
    cfg = ServiceConfig(sim_trust=True, audit_url=f"sqlite:///{db}", card_wait=60.0,
                        counter="quay-test")
    with running_service(cfg) as url:
        yield url, db


def _key(persona: str) -> dict:
    p = get_persona(persona)
    return {"id_number": p.id_number, "date_of_birth": p.date_of_birth_mrz,
            "date_of_expiry": p.date_of_expiry_mrz}


def _photo(path: Path) -> str:
    return "data:image/jpeg;base64," + base64.b64encode(path.read_bytes()).decode()


def _events(client: httpx.Client, job_id: str) -> list[dict]:
    out = []
    with client.stream("GET", f"/api/verifications/{job_id}/events", timeout=60) as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        event = None
        for line in r.iter_lines():
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: ") and event == "progress":
                out.append(json.loads(line[6:]))
            elif line.startswith("data: ") and event == "end":
                break
    return out


def _verify(base: str, harness, persona: str, face: Path | None, policy: str = "bank"
            ) -> tuple[dict, list[dict]]:
    reader = harness.readers[0]
    with card_on_reader(harness, reader, persona), httpx.Client(base_url=base, timeout=60) as c:
        r = c.post("/api/verifications", json={
            "reader": reader, "key": _key(persona), "policy": policy, "operator": "gdv-01",
            "face_image": _photo(face) if face else None})
        assert r.status_code == 202, r.text
        job = r.json()["id"]
        events = _events(c, job)
        res = c.get(f"/api/verifications/{job}").json()
        # A page that reconnects says where it was: the stream resumes after that event.
        with c.stream("GET", f"/api/verifications/{job}/events",
                      headers={"Last-Event-ID": "2"}) as again:
            first = next(line for line in again.iter_lines() if line.startswith("id: "))
        assert first == "id: 3"
        if res["state"] == "done" and res["portrait"]:
            pic = c.get(res["portrait"])
            assert pic.status_code == 200 and pic.content[:2] == b"\xff\xd8"
        res["fhir"] = c.get(f"/api/verifications/{job}/patient").json() \
            if res["state"] == "done" else None
    return res, events


def test_good_card_matching_face_is_verified(service, pcscd_vpcd, face_persona, faces) -> None:
    base, _ = service
    res, events = _verify(base, pcscd_vpcd, face_persona, faces / "barack_obama" / "3.jpg")
    assert res["state"] == "done", res
    v = res["teller"]
    assert v["label"] == "VERIFIED", v
    checks = res["report"]["checks"]
    assert checks["passive_auth"]["state"] == "valid"
    assert checks["chip_authentic"]["state"] == "valid"
    assert checks["document_valid"]["state"] == "valid"
    assert checks["face_match"]["state"] == "match"
    assert res["report"]["identity"]["full_name"] == "Nguyễn Văn An"
    assert v["badges"] == {"passive_auth": "valid", "chip": "valid", "document": "valid",
                           "face": "match"}
    # Progress events arrive in order, with Vietnamese messages.
    kinds = [e["kind"] for e in events]
    assert kinds[0] == "waiting_card" and events[0]["message_vi"] == "Đặt thẻ lên đầu đọc"
    assert kinds[1] == "card_found" and kinds[-1] == "done"
    order = ["waiting_card", "card_found", "reading", "chip_auth", "checking_signature",
             "document_valid", "face", "done"]
    assert [k for i, k in enumerate(kinds) if i == 0 or kinds[i - 1] != k] == order
    assert [e["seq"] for e in events] == list(range(len(events)))
    pct = [e["percent"] for e in events]
    assert pct == sorted(pct) and pct[-1] == 100
    dg2 = [e for e in events if e.get("file") == "DG2"]
    # vpcd carries extended length: DG2 comes whole in its first READ BINARY (issue 15: no
    # separate header read), so its events end at 100 % and never go back.
    assert dg2 and dg2[-1]["file_percent"] == 100
    assert [e["file_percent"] for e in dg2] == sorted(e["file_percent"] for e in dg2)
    assert any("Đang đọc DG2" in e["message_vi"] and e["message_vi"].endswith("%") for e in dg2)
    assert res["fhir"]["resourceType"] == "Patient"
    assert res["fhir"]["meta"]["tag"][0]["code"] == "VERIFIED"


@pytest.mark.parametrize("persona, face, failed", [
    ("forged-dg", None, "passive_auth"),
    ("clone", None, "chip_authentic"),
])
def test_forged_and_cloned_cards_are_rejected(service, pcscd_vpcd, faces, persona, face,
                                               failed) -> None:
    base, _ = service
    res, events = _verify(base, pcscd_vpcd, persona, faces / "barack_obama" / "3.jpg")
    v = res["teller"]
    assert v["label"] == "REJECTED" and v["failed_check"] == failed, v
    assert "Không chấp nhận thẻ" in v["next_step_vi"]
    assert events[-1]["kind"] == "done"


def test_other_persons_face_is_rejected(service, pcscd_vpcd, face_persona, faces) -> None:
    base, _ = service
    res, _ = _verify(base, pcscd_vpcd, face_persona, faces / "joe_biden" / "1.jpg")
    v = res["teller"]
    assert v["label"] == "REJECTED" and v["failed_check"] == "face_match", v
    assert res["report"]["checks"]["passive_auth"]["state"] == "valid"
    assert v["reason_vi"] != v["reason_en"]  # the library's Vietnamese catalogue


def test_second_request_on_a_busy_reader_gets_409(service, pcscd_vpcd) -> None:
    base, _ = service
    reader = pcscd_vpcd.readers[1]  # no card yet: the first job waits for one (card_wait 60 s)
    body = {"reader": reader, "key": _key("default"), "policy": "inspect-only"}
    with httpx.Client(base_url=base, timeout=60) as c:
        codes: list[int] = []
        first = c.post("/api/verifications", json=body)
        assert first.status_code == 202
        job = first.json()["id"]
        threads = [threading.Thread(target=lambda: codes.append(
            httpx.post(base + "/api/verifications", json=body, timeout=60).status_code))
            for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert codes == [409, 409, 409]
        # The first job was still waiting for its card all along (it ends only when one comes).
        assert c.get(f"/api/verifications/{job}").json()["state"] == "running"
        with card_on_reader(pcscd_vpcd, reader, "default"):
            events = _events(c, job)
        res = c.get(f"/api/verifications/{job}").json()
        assert res["state"] == "done" and res["teller"]["label"] == "VERIFIED", res
        assert [e["kind"] for e in events][:2] == ["waiting_card", "card_found"]
        # The reader is free again.
        again = c.post("/api/verifications", json=body)
        assert again.status_code == 202, again.text
        with card_on_reader(pcscd_vpcd, reader, "default"):
            _events(c, again.json()["id"])


def test_no_card_ends_the_job_with_advice_and_frees_the_reader(pcscd_vpcd, tmp_path) -> None:
    cfg = ServiceConfig(sim_trust=True, audit_url=f"sqlite:///{tmp_path / 'audit.db'}",
                        card_wait=0.5)
    body = {"reader": pcscd_vpcd.readers[1], "key": _key("default"), "policy": "bank"}
    with running_service(cfg) as base, httpx.Client(base_url=base, timeout=60) as c:
        first = c.post("/api/verifications", json=body)
        assert first.status_code == 202
        events = _events(c, first.json()["id"])
        res = c.get(f"/api/verifications/{first.json()['id']}").json()
        assert res["state"] == "error" and res["error"]["error"] == "NoCardError"
        assert "đặt thẻ" in res["error"]["message_vi"].lower()
        assert [e["kind"] for e in events] == ["waiting_card", "error"]
        # The reader is free again.
        again = c.post("/api/verifications", json=body)
        assert again.status_code == 202, again.text
        _events(c, again.json()["id"])


def test_reader_lock_belongs_to_one_pcscd(tmp_path, monkeypatch) -> None:
    """Reader names repeat across pcscd instances ("Virtual PCD 00 01" in every test run on the
    machine): the lock is per pcscd, so two services on two pcscd never refuse each other, while
    two on the same pcscd do. (Two parallel test runs got 409 from each other before.)"""
    from cardkit.service.jobs import ReaderBusy, ReaderLocks

    a, b = tmp_path / "a.comm", tmp_path / "b.comm"
    a.touch()
    b.touch()
    monkeypatch.setenv("PCSCLITE_CSOCK_NAME", str(a))
    on_a = ReaderLocks()
    on_a.acquire("Virtual PCD 00 01")
    monkeypatch.setenv("PCSCLITE_CSOCK_NAME", str(b))
    on_b = ReaderLocks()
    on_b.acquire("Virtual PCD 00 01")  # another pcscd: free
    monkeypatch.setenv("PCSCLITE_CSOCK_NAME", str(a))
    with pytest.raises(ReaderBusy):
        ReaderLocks().acquire("Virtual PCD 00 01")  # same pcscd, other process/app: busy
    on_a.release("Virtual PCD 00 01")
    ReaderLocks().acquire("Virtual PCD 00 01")
    on_b.release("Virtual PCD 00 01")


def test_audit_records_every_verification(service, pcscd_vpcd) -> None:
    from cardkit.audit import AuditConfig, AuditLog

    _, db = service
    log = AuditLog(AuditConfig(f"sqlite:///{db}", b"x" * 32))
    rows = log.list(limit=100)
    assert rows and all(r["counter"] == "quay-test" for r in rows)
    assert log.verify_chain()[0]
    blob = b"".join(p.read_bytes() for p in db.parent.iterdir())
    assert b"001093000001" not in blob and "Nguyễn".encode() not in blob


def test_a_lost_audit_record_is_reported(pcscd_vpcd, tmp_path) -> None:
    """The audit database fails (table gone): the result says so instead of losing it silently."""
    import sqlite3

    db = tmp_path / "a" / "audit.db"
    cfg = ServiceConfig(sim_trust=True, audit_url=f"sqlite:///{db}", card_wait=0.5)
    with running_service(cfg) as base, httpx.Client(base_url=base, timeout=30) as c:
        con = sqlite3.connect(db)
        con.execute("DROP TABLE cardkit_audit")
        con.commit()
        r = c.post("/api/verifications", json={"reader": pcscd_vpcd.readers[1],
                                                "key": _key("default")})
        _events(c, r.json()["id"])
        res = c.get(f"/api/verifications/{r.json()['id']}").json()
        assert res["state"] == "error" and "no such table" in res["audit_error"]
