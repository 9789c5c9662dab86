"""The service without a card: token rule, dump uploads (multipart and zip) with size limits, QR
decoding, local /docs. In-process ASGI client (fast); the card paths are in test_service_e2e."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
import segno
from fastapi.testclient import TestClient

from cardkit.errors import InputError
from cardkit.qr import encode_cccd_qr
from cardkit.service.app import ServiceConfig, create_app
from cardkit.sim.personas import get_persona

from .test_qr import SYNTHETIC


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(create_app(ServiceConfig(sim_trust=True, audit_url="",
                                               max_upload_bytes=2_000_000)))


def _multipart(persona: str) -> list[tuple[str, tuple[str, bytes, str]]]:
    files = get_persona(persona).files
    return [("files", (f"{n}.bin", d, "application/octet-stream")) for n, d in files.items()]


def test_non_loopback_needs_a_token() -> None:
    with pytest.raises(InputError, match="bearer token"):
        create_app(ServiceConfig(host="0.0.0.0", audit_url=""))
    c = TestClient(create_app(ServiceConfig(host="0.0.0.0", token="s3cret", audit_url="")))
    assert c.get("/api/readers").status_code == 401
    assert c.get("/api/readers", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert c.post("/api/dumps/verify", files=_multipart("default")).status_code == 401
    r = c.post("/api/dumps/verify", files=_multipart("default"),
               headers={"Authorization": "Bearer s3cret"})
    assert r.status_code == 200
    assert c.get("/api/health").status_code == 200  # no data in it


def test_dump_upload_multipart_and_zip(client: TestClient) -> None:
    r = client.post("/api/dumps/verify", files=_multipart("default"))
    assert r.status_code == 200, r.text
    assert r.json()["teller"]["label"] == "VERIFIED"
    assert "chip_authentic" not in r.json()["report"]["checks"]  # inspect-only: not asked
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for n, d in get_persona("forged-dg").files.items():
            z.writestr(f"dump/EF_{n}.bin", d)
    r = client.post("/api/dumps/verify", files=[("files", ("dump.zip", buf.getvalue(),
                                                           "application/zip"))])
    assert r.status_code == 200
    assert r.json()["teller"]["label"] == "REJECTED"
    assert r.json()["teller"]["failed_check"] == "passive_auth"
    # The bank policy needs the chip and a face: a dump alone cannot be VERIFIED under it.
    r = client.post("/api/dumps/verify", files=_multipart("default"), data={"policy": "bank"})
    assert r.json()["teller"]["label"] == "INCOMPLETE"
    assert r.json()["report"]["checks"]["chip_authentic"]["state"] == "not_performed"


def test_upload_limits(client: TestClient) -> None:
    big = [("files", ("DG2.bin", b"\0" * 2_100_000, "application/octet-stream"))]
    assert client.post("/api/dumps/verify", files=big).status_code == 413
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("DG2.bin", b"\0" * 50_000_000)  # ~50 KB compressed
    r = client.post("/api/dumps/verify", files=[("files", ("d.zip", bomb.getvalue(),
                                                           "application/zip"))])
    assert r.status_code == 413
    r = client.post("/api/dumps/verify", files=[("files", ("d.zip", b"PK\x03\x04junk",
                                                           "application/zip"))])
    assert r.status_code == 422
    r = client.post("/api/dumps/verify", files=[("files", ("DG1.bin", b"\x61\x00", "x"))])
    assert r.status_code == 422 and "SOD" in r.json()["detail"]


def test_qr_endpoint_and_key_rules(client: TestClient, tmp_path: Path) -> None:
    png = tmp_path / "qr.png"
    segno.make(encode_cccd_qr(SYNTHETIC), encoding="utf-8").save(str(png), scale=6)
    r = client.post("/api/qr", files={"image": ("f.png", png.read_bytes(), "image/png")})
    assert r.status_code == 200 and r.json()["can"] == "000001"
    assert r.json()["full_name"] == "Nguyễn Văn An"
    r = client.post("/api/qr", files={"image": ("f.png", b"nope", "image/png")})
    assert r.status_code == 422 and "cannot be decoded" in r.json()["detail"]
    r = client.post("/api/verifications", json={"reader": "x", "key": {"id_number": "12"}})
    assert r.status_code == 422 and "12 digits" in r.json()["detail"]


def test_docs_and_page_are_local(client: TestClient) -> None:
    docs = client.get("/docs").text
    assert "/static/swagger/swagger-ui-bundle.js" in docs and "cdn" not in docs.lower()
    assert client.get("/static/swagger/swagger-ui-bundle.js").status_code == 200
    assert "/api/verifications" in client.get("/openapi.json").json()["paths"]
    page = client.get("/").text
    assert 'lang="vi"' in page and "Xác minh CCCD tại quầy" in page
    for asset in ("/static/app.js", "/static/app.css"):
        text = client.get(asset).text
        assert "http://" not in text and "https://" not in text
    assert "http" not in page.replace('http-equiv', '')


def test_page_is_locked_to_its_origin(client: TestClient) -> None:
    """The page renders what a (possibly hostile) chip sends: no inline script may run, nothing
    loads from elsewhere; the portrait is never sniffed as HTML."""
    r = client.get("/")
    csp = r.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "unsafe-inline" not in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    js = client.get("/static/app.js").text
    assert "innerHTML = \"\"" in js and ".innerHTML =" not in js.replace('innerHTML = ""', "")


def test_slow_upload_is_cut_off() -> None:
    """A client that trickles its body is answered 408 within the upload time limit."""
    import asyncio

    from cardkit.service.app import UploadLimits

    async def app(scope, receive, send):  # type: ignore[no-untyped-def]
        while (await receive()).get("more_body"):
            pass
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    sent: list[dict] = []

    async def receive():  # type: ignore[no-untyped-def]
        await asyncio.sleep(0.2)
        return {"type": "http.request", "body": b"x", "more_body": True}

    async def send(msg):  # type: ignore[no-untyped-def]
        sent.append(msg)

    limits = UploadLimits(app, max_bytes=1000, seconds=0.5)
    asyncio.run(limits({"type": "http", "method": "POST", "headers": []}, receive, send))
    assert sent[0]["status"] == 408


def test_key_forms() -> None:
    from cardkit.icao.keys import CanKey, MrzKey
    from cardkit.service.app import KeyIn, access_key

    qr_text = encode_cccd_qr(SYNTHETIC)
    assert access_key(KeyIn(qr_text=qr_text)) == CanKey("000001")
    assert isinstance(access_key(KeyIn(qr_text=qr_text, date_of_expiry="05/01/2033")), MrzKey)
    assert access_key(KeyIn(id_number="001093000001")) == CanKey("000001")
    assert access_key(KeyIn(id_number="001093000001", date_of_birth="05/01/1993",
                            date_of_expiry="2033-01-05")) == get_persona("default").mrz_key
    with pytest.raises(InputError):
        access_key(KeyIn(can="12ab56"))
    with pytest.raises(InputError, match="scan the QR"):
        access_key(KeyIn())


def test_serve_refuses_a_network_address_without_token() -> None:
    from click.testing import CliRunner

    from cardkit_cli.main import cli

    r = CliRunner(env={"CARDKIT_SERVE_TOKEN": None}).invoke(
        cli, ["serve", "--host", "0.0.0.0", "--no-audit"])
    assert r.exit_code == 2 and "bearer token" in r.stderr and "Traceback" not in r.output


@pytest.mark.face
def test_portrait_not_covered_by_sod_is_never_compared(client: TestClient, face_persona: str,
                                                       faces: Path) -> None:
    """A forger's DG2 (EF.SOD does not list it) with the customer's own face: no match is
    claimed, the verdict is REJECTED, and the unauthenticated data is kept apart."""
    from cardkit.sim.issuer import encode_sod
    from cardkit.sim.pki import dsc

    files = dict(get_persona(face_persona).files)
    files["SOD"] = encode_sod({"DG1": files["DG1"]}, dsc("rsa"))
    parts = [("files", (f"{n}.bin", d, "application/octet-stream")) for n, d in files.items()]
    parts.append(("face", ("me.jpg", (faces / "barack_obama" / "3.jpg").read_bytes(),
                           "image/jpeg")))
    out = client.post("/api/dumps/verify", files=parts, data={"policy": "clinic"}).json()
    rep = out["report"]
    assert rep["checks"]["face_match"]["state"] == "unverifiable"
    assert "not covered by a valid issuer signature" in rep["checks"]["face_match"]["reason"]
    assert out["teller"]["label"] == "REJECTED" and out["teller"]["badges"]["face"] != "match"
    assert rep["portrait"]["authenticated"] is False
    assert "DG2" in rep["unauthenticated"]["data_groups"]


def test_page_texts_exist_in_vietnamese_and_english() -> None:
    import re

    static = Path(__file__).resolve().parents[2] / "cardkit" / "service" / "static"
    js = (static / "app.js").read_text("utf-8")
    vi = js[js.index("  vi: {"):js.index("  en: {")]
    en = js[js.index("  en: {"):js.index("\n};")]
    keys = [set(re.findall(r"(?:^\s+|, )(\w+): \"", part, re.M)) for part in (vi, en)]
    assert keys[0] == keys[1], keys[0] ^ keys[1]
    used = set(re.findall(r'data-i18n="(\w+)"', (static / "index.html").read_text("utf-8")))
    assert used <= keys[0], used - keys[0]
