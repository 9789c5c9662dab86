"""`cardkit serve`: the counter's local HTTP service (FastAPI) and the teller's web page.

Bound to 127.0.0.1 by default; on any other address a bearer token is required for every /api
call. Everything is served locally (page, scripts, Swagger UI for /docs): no CDN.
Card operations: one per reader at a time (409 for a second one), progress as server-sent events.
Uploads (dumps, photos, QR frames): size-limited while the body is read, and time-limited.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hmac
import io
import json
import os
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, File, Form, HTTPException, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, JSONResponse, Response, StreamingResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field

from .. import __version__
from ..errors import CardkitError, InputError
from ..icao.keys import CanKey, MrzKey
from . import workflow
from .jobs import Job, JobRegistry, ReaderBusy
from .messages import ERRORS, GENERIC_ERROR

STATIC = Path(__file__).parent / "static"
FINGER_POSITIONS = ("right-thumb", "right-index", "right-middle", "right-ring", "right-little",
                    "left-thumb", "left-index", "left-middle", "left-ring", "left-little")
LOOPBACK = ("127.0.0.1", "::1", "localhost")
PAGE_CSP = ("default-src 'self'; img-src 'self' blob:; media-src 'self' blob: mediastream:; "
            "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")


@dataclass
class ServiceConfig:
    host: str = "127.0.0.1"
    token: str | None = None
    trust: list[str] = field(default_factory=list)
    sim_trust: bool = False  # the virtual card's TEST CSCA (demos and tests only)
    counter: str = ""
    audit_url: str | None = None  # None = AuditConfig default; "" = no audit trail
    card_wait: float = 30.0
    max_upload_bytes: int = 16 * 1024 * 1024
    max_image_bytes: int = 8 * 1024 * 1024
    upload_seconds: float = 30.0  # the whole body must arrive within this time
    verify_seconds: float = 60.0  # a dump verification must finish within this time
    # EAC terminal for card verifications (reads DG3, the fingers): CV certificate files/folders
    # and the IS key (PEM/DER path or pkcs11: URI; its PIN only from the environment).
    terminal_chain: list[str] = field(default_factory=list)
    terminal_key: str | None = None

    @classmethod
    def from_env(cls) -> ServiceConfig:
        """For `uvicorn --workers N` (each worker builds its app from CARDKIT_SERVE_CONFIG)."""
        return cls(**json.loads(os.environ.get("CARDKIT_SERVE_CONFIG", "{}")))

    def to_env(self) -> str:
        return json.dumps(self.__dict__)


# --- request models -------------------------------------------------------------------------------


class KeyIn(BaseModel):
    """One access key: ID + date of birth + expiry, the CAN, the MRZ, or the card's QR text."""

    id_number: str | None = Field(None, max_length=12, examples=["001093000001"])
    date_of_birth: str | None = Field(None, max_length=10, examples=["1993-01-05"])
    date_of_expiry: str | None = Field(None, max_length=10, examples=["2033-01-05"])
    can: str | None = Field(None, max_length=12)
    mrz: str | None = Field(None, max_length=100)
    qr_text: str | None = Field(None, max_length=1024)


class VerificationIn(BaseModel):
    reader: str = Field(..., max_length=200)
    key: KeyIn
    policy: str = Field("bank", pattern="^(bank|clinic|card|inspect-only)$")
    face_image: str | None = Field(None, description="Live camera frame as a data URL or base64 "
                                   "JPEG/PNG (max 8 MB)")
    operator: str = Field("", max_length=64)
    finger_image: str | None = Field(None, description="Live fingerprint image (WSQ, PNG, TIFF, "
                                     "BMP, JPEG 2000) as a data URL or base64 (max 8 MB)")
    finger_scanner: str | None = Field(None, max_length=200, description="Capture the live "
                                       "finger from this libfprint scanner (a device id from "
                                       "/api/fingerprint-scanners; \"\" = the first one)")
    finger_position: str = Field("right-index", pattern=f"^({'|'.join(FINGER_POSITIONS)})$",
                                 description="The finger the customer gives; compared with the "
                                 "card's finger at that position")
    best_finger: bool = Field(False, description="Compare with every finger on the card and "
                              "keep the best (reported; the threshold is raised)")
    finger_ppi: float | None = Field(None, ge=100, le=2000, description="Resolution of "
                                     "finger_image (default: from the file, else 500)")
    finger_match: str = Field("required", pattern="^(required|advisory)$",
                              description="With a live finger, the policy's finger_match level")


def access_key(k: KeyIn) -> MrzKey | CanKey:
    from ..lds.mrz import parse_mrz, vn_access_key, vn_can

    if k.qr_text:
        from ..qr import parse_cccd_qr

        return parse_cccd_qr(k.qr_text).access_key(k.date_of_expiry or None)
    if k.can:
        if not k.can.isdigit() or not 6 <= len(k.can) <= 12:
            raise InputError("the CAN is the 6 digits printed on the card")
        return CanKey(k.can)
    if k.mrz:
        return parse_mrz("\n".join(k.mrz.split())).access_key()
    if k.id_number and k.date_of_birth and k.date_of_expiry:
        return vn_access_key(k.id_number, k.date_of_birth, k.date_of_expiry)
    if k.id_number and not k.date_of_birth and not k.date_of_expiry:
        return CanKey(vn_can(k.id_number))
    raise InputError("give the ID with date of birth and expiry, or the CAN, or scan the QR code")


def _image_bytes(data: str, limit: int, what: str = "face_image") -> bytes:
    if data.startswith("data:"):
        data = data.split(",", 1)[-1]
    if len(data) > limit * 4 // 3 + 4:
        raise HTTPException(413, "image too large")
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise HTTPException(422, f"{what} is not base64") from None


# --- upload limits (pure ASGI: counts bytes while the body arrives) -------------------------------


class UploadLimits:
    def __init__(self, app: Any, max_bytes: int, seconds: float) -> None:
        self.app, self.max_bytes, self.seconds = app, max_bytes, seconds

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await _plain(send, 413, f"upload larger than {self.max_bytes} bytes")
            return
        seen = 0
        deadline = time.monotonic() + self.seconds

        async def limited() -> dict:
            nonlocal seen
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise _Abort(408, "upload too slow")
            try:
                message = await asyncio.wait_for(receive(), remaining)
            except asyncio.TimeoutError:
                raise _Abort(408, "upload too slow") from None
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise _Abort(413, f"upload larger than {self.max_bytes} bytes")
            return message

        started = False

        async def tracking_send(message: dict) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited, tracking_send)
        except _Abort as abort:
            if not started:
                await _plain(send, abort.status, abort.detail)


class _Abort(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status, self.detail = status, detail


async def _plain(send: Any, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


# --- the app --------------------------------------------------------------------------------------


def create_app(config: ServiceConfig | None = None) -> FastAPI:
    cfg = config or ServiceConfig()
    if cfg.host not in LOOPBACK and not cfg.token:
        raise InputError(f"serving on {cfg.host} needs a bearer token (--token or "
                         "CARDKIT_SERVE_TOKEN): anyone on the network could read cards")
    trust = workflow.trust_store(cfg.trust or None, sim=cfg.sim_trust)
    trust_label = ("virtual card TEST CSCA (not a real state)" if cfg.sim_trust and not cfg.trust
                   else ", ".join(cfg.trust) if cfg.trust else
                   "library default (local trust store, else the bundled master list)")
    terminal = workflow.load_terminal(list(cfg.terminal_chain), cfg.terminal_key)
    jobs = JobRegistry()
    audit = _open_audit(cfg)
    app = FastAPI(title="cardkit counter service", version=__version__, docs_url=None,
                  redoc_url=None, description="Verify Vietnamese CCCD chip cards at the counter. "
                  "Bearer token required when not bound to 127.0.0.1.")
    app.state.jobs, app.state.config, app.state.audit = jobs, cfg, audit
    app.add_middleware(UploadLimits, max_bytes=cfg.max_upload_bytes, seconds=cfg.upload_seconds)

    def auth(request: Request) -> None:
        if not cfg.token:
            return
        got = request.headers.get("authorization", "")
        if not hmac.compare_digest(got.encode(), f"Bearer {cfg.token}".encode()):
            raise HTTPException(401, "bearer token required", {"WWW-Authenticate": "Bearer"})

    api = [Depends(auth)]

    @app.exception_handler(CardkitError)
    async def _cardkit_error(_: Request, exc: CardkitError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=422 if isinstance(
            exc, InputError) else 503)

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        # The page shows what the card sends (names, portrait): no inline script, no other origin.
        return FileResponse(STATIC / "index.html", media_type="text/html; charset=utf-8",
                            headers={"Content-Security-Policy": PAGE_CSP,
                                     "X-Content-Type-Options": "nosniff"})

    _mount_swagger(app)  # before /static, which would shadow /static/swagger
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/api/health", tags=["service"])
    def health() -> dict[str, Any]:
        return {"status": "ok", "audit": audit is not None, "trust": trust_label,
                "terminal": terminal is not None}

    @app.get("/api/version", tags=["service"])
    def version() -> dict[str, str]:
        return {"cardkit": __version__}

    @app.get("/api/readers", tags=["devices"], dependencies=api)
    def readers() -> list[dict[str, Any]]:
        from ..transport.pcsc import SCARD_STATE_PRESENT, list_readers, reader_state

        out = []
        for name in list_readers():
            try:
                present = bool(reader_state(name)[0] & SCARD_STATE_PRESENT)
            except CardkitError:
                present = False
            out.append({"name": name, "card_present": present})
        return out

    @app.get("/api/cameras", tags=["devices"], dependencies=api)
    def cameras() -> list[dict[str, Any]]:
        """Server-side cameras (V4L2). The teller page uses the browser's camera."""
        return [{"device": str(p), "index": int(p.name[5:])}
                for p in sorted(Path("/dev").glob("video[0-9]*"))]

    @app.get("/api/fingerprint-scanners", tags=["devices"], dependencies=api)
    def scanners() -> dict[str, Any]:
        """libfprint scanners; those with `can_capture` can give the live finger."""
        return _fingerprint_scanners()

    @app.post("/api/qr", tags=["key"], dependencies=api)
    async def decode_qr(image: Annotated[UploadFile, File(description="camera frame (JPEG/PNG)")]
                        ) -> dict[str, Any]:
        """Decode the CCCD front QR code in a camera frame: the key for the card."""
        from ..qr import decode_image

        data = await _read_upload(image, cfg.max_image_bytes)
        qr = await run_in_threadpool(decode_image, data)
        return {**qr.to_dict(), "can": qr.can}

    @app.post("/api/verifications", status_code=202, tags=["verification"], dependencies=api,
              responses={409: {"description": "the reader is busy with another card operation"}})
    def start(body: VerificationIn) -> dict[str, Any]:
        """Start reading and verifying the card on `reader`; follow `/events`, then fetch."""
        key = access_key(body.key)
        face = _image_bytes(body.face_image, cfg.max_image_bytes) if body.face_image else None
        finger_img = _image_bytes(body.finger_image, cfg.max_image_bytes, "finger_image") \
            if body.finger_image else None
        given = finger_img is not None or body.finger_scanner is not None
        policy = workflow.policy_for(body.policy, face=face is not None, finger=given,
                                     finger_level=body.finger_match)
        probes = workflow.probes_for(face)  # checks the face image before a scanner is opened
        finger = workflow.finger_probe(finger_img, body.finger_scanner,
                                       position=body.finger_position,
                                       best_of=body.best_finger, ppi=body.finger_ppi)
        req = workflow.CardRequest(body.reader, key, policy, workflow.probes_for(face, finger)
                                   if finger is not None else probes, cfg.card_wait, terminal)

        def run(job: Job) -> workflow.Outcome:
            return workflow.verify_card_on_reader(req, trust, job.emit)

        def on_done(job: Job) -> None:
            if audit is None:
                return
            report = job.outcome.report if job.outcome else {
                "verdict": {"result": "incomplete",
                            "reasons": [{"message": (job.error or {}).get("message_en", "")}]},
                "source": {"reader": job.reader}}
            audit.record_verification(
                report, operator=job.operator, counter=cfg.counter, policy=body.policy,
                source="reader", durations=job.outcome.durations if job.outcome else None,
                sod=job.outcome.sod if job.outcome else None)

        try:
            job = jobs.start(body.reader, body.operator, run, _error_info, on_done)
        except ReaderBusy:
            if finger is not None:
                finger.close()  # release the scanner opened for this request
            raise HTTPException(409, f"reader {body.reader!r} is busy with another card "
                                "operation — wait until it finishes") from None
        return {"id": job.id, "events": f"/api/verifications/{job.id}/events",
                "result": f"/api/verifications/{job.id}"}

    def _job(job_id: str) -> Job:
        job = jobs.get(job_id)
        if job is None:
            raise HTTPException(404, "no such verification (finished ones are forgotten after "
                                "10 minutes)")
        return job

    @app.get("/api/verifications/{job_id}", tags=["verification"], dependencies=api)
    def result(job_id: str) -> dict[str, Any]:
        job = _job(job_id)
        out: dict[str, Any] = {"id": job.id, "state": job.state, "reader": job.reader,
                               "events": len(job.events)}
        if job.outcome is not None:
            out["teller"] = job.outcome.teller
            out["report"] = job.outcome.report
            out["portrait"] = f"/api/verifications/{job.id}/portrait" if \
                job.outcome.portrait else None
        if job.error is not None:
            out["error"] = job.error
        if job.audit_error is not None:
            out["audit_error"] = job.audit_error
        return out

    @app.get("/api/verifications/{job_id}/events", tags=["verification"], dependencies=api)
    async def events(job_id: str, request: Request) -> StreamingResponse:
        """Server-sent events: `progress` (kind, percent, message_vi, message_en), then `end`."""
        job = _job(job_id)
        start_at = int(request.headers.get("last-event-id", "-1")) + 1

        async def stream():  # type: ignore[no-untyped-def]
            sent = max(0, start_at)
            while True:
                new = await run_in_threadpool(job.wait_events, sent, 1.0)
                for ev in new:
                    yield f"id: {ev['seq']}\nevent: progress\ndata: " \
                          f"{json.dumps(ev, ensure_ascii=False)}\n\n"
                sent += len(new)
                if job.state != "running" and sent >= len(job.events):
                    yield f"event: end\ndata: {json.dumps({'state': job.state})}\n\n"
                    return
                if not new:
                    yield ": keep-alive\n\n"
                if await request.is_disconnected():
                    return

        return StreamingResponse(stream(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-store"})

    @app.get("/api/verifications/{job_id}/portrait", tags=["verification"], dependencies=api,
             response_class=Response)
    def portrait(job_id: str) -> Response:
        """The chip portrait (JPEG; a JPEG 2000 portrait is converted for the browser)."""
        job = _job(job_id)
        if job.outcome is None or not job.outcome.portrait:
            raise HTTPException(404, "no portrait")
        data, mime = job.outcome.portrait, job.outcome.portrait_mime or "image/jpeg"
        if mime != "image/jpeg":
            data, mime = _to_jpeg(data), "image/jpeg"
        # The chip chose these bytes: never let a browser sniff them as anything but an image.
        return Response(data, media_type=mime, headers={
            "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'"})

    @app.get("/api/verifications/{job_id}/patient", tags=["clinic"], dependencies=api)
    def patient(job_id: str, format: str = "fhir") -> dict[str, Any]:  # noqa: A002
        """The verified identity for a hospital system: `fhir` (R4 Patient) or `json` (flat)."""
        from ..clinic import fhir_patient, flat_record

        job = _job(job_id)
        if job.outcome is None:
            raise HTTPException(409, "the verification has not finished")
        rep = job.outcome.report
        return fhir_patient(rep) if format == "fhir" else flat_record(rep)

    @app.post("/api/dumps/verify", tags=["verification"], dependencies=api)
    async def verify_dump(
        files: Annotated[list[UploadFile], File(description="COM.bin, SOD.bin, DG1.bin … or "
                                                            "one .zip of them")],
        face: Annotated[UploadFile | None, File()] = None,
        policy: Annotated[str, Form()] = "inspect-only",
        operator: Annotated[str, Form(max_length=64)] = "",
    ) -> dict[str, Any]:
        """Verify chip files read by a phone (NFC): passive authentication (+ face)."""
        if policy not in workflow.POLICIES:
            raise HTTPException(422, "policy must be one of " + ", ".join(workflow.POLICIES))
        chip_files = await _collect_dump(files, cfg.max_upload_bytes)
        face_bytes = await _read_upload(face, cfg.max_image_bytes) if face else None
        probes = workflow.probes_for(face_bytes)
        try:
            outcome = await asyncio.wait_for(run_in_threadpool(
                workflow.verify_files, chip_files, trust, policy=policy, probes=probes),
                cfg.verify_seconds)
        except asyncio.TimeoutError:
            raise HTTPException(504, "verification took too long") from None
        if audit is not None:
            await run_in_threadpool(lambda: audit.record_verification(
                outcome.report, operator=operator, counter=cfg.counter, policy=policy,
                source="dump", durations=outcome.durations, sod=outcome.sod))
        return {"teller": outcome.teller, "report": outcome.report}

    return app


def _error_info(job: Job, exc: BaseException) -> dict[str, Any]:
    vi, en = GENERIC_ERROR
    for cls in type(exc).__mro__:
        if cls.__name__ in ERRORS:
            vi, en = ERRORS[cls.__name__]
            break
    detail = str(exc) if isinstance(exc, CardkitError) else type(exc).__name__
    return {"message_vi": vi, "message_en": en, "detail": detail, "error": type(exc).__name__}


def _open_audit(cfg: ServiceConfig) -> Any:
    if cfg.audit_url == "":
        return None
    from ..audit import AuditConfig, AuditLog

    return AuditLog(AuditConfig.from_env(cfg.audit_url))


async def _read_upload(upload: UploadFile, limit: int) -> bytes:
    data = await upload.read(limit + 1)
    if len(data) > limit:
        raise HTTPException(413, f"{upload.filename or 'file'}: larger than {limit} bytes")
    return data


async def _collect_dump(uploads: list[UploadFile], total_limit: int) -> dict[str, bytes]:
    from ..dump import MAX_FILE_SIZE, lds_name

    named: list[tuple[str, bytes]] = []
    total = 0
    for up in uploads[:64]:
        data = await _read_upload(up, total_limit)
        total += len(data)
        if total > total_limit:
            raise HTTPException(413, "upload too large")
        name = up.filename or ""
        if name.lower().endswith(".zip") or data[:4] == b"PK\x03\x04":
            named += _unzip(data, MAX_FILE_SIZE, total_limit)
        else:
            named.append((name, data))
    out: dict[str, bytes] = {}
    for name, data in named:
        lds = lds_name(name)
        if lds is None:
            continue
        if len(data) > MAX_FILE_SIZE:
            raise HTTPException(413, f"{name}: too large for an LDS file")
        if lds in out:
            raise HTTPException(422, f"{lds} is present twice")
        out[lds] = data
    if "SOD" not in out:
        raise HTTPException(422, "no SOD.bin among the files (COM.bin, SOD.bin, DG1.bin …)")
    return out


def _unzip(data: bytes, per_file: int, total_limit: int) -> list[tuple[str, bytes]]:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, ValueError):
        raise HTTPException(422, "not a valid zip file") from None
    if len(infos) > 64:
        raise HTTPException(413, "zip has too many entries")
    out, total = [], 0
    for info in infos:
        if info.is_dir():
            continue
        if info.file_size > per_file:
            raise HTTPException(413, f"{info.filename}: too large for an LDS file")
        try:
            with zf.open(info) as f:
                content = f.read(per_file + 1)  # never trust the header: bound the inflate
        except (zipfile.BadZipFile, RuntimeError, ValueError, OSError):
            raise HTTPException(422, f"{info.filename}: unreadable zip entry") from None
        total += len(content)
        if len(content) > per_file or total > total_limit:
            raise HTTPException(413, "zip expands beyond the upload limit")
        out.append((info.filename, content))
    return out


def _to_jpeg(data: bytes) -> bytes:
    import cv2
    import numpy as np

    img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if img is None:
        raise HTTPException(415, "the chip portrait cannot be decoded")
    return cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 92])[1].tobytes()


def _fingerprint_scanners() -> dict[str, Any]:
    """libfprint devices (fprintd's driver stack) when PyGObject and libfprint are installed."""
    from ..biometrics.finger.scanner import ScannerError, _fprint, list_scanners

    try:
        _fprint()
    except ScannerError as exc:
        return {"scanners": [], "note": str(exc)}
    return {"scanners": [s.to_dict() for s in list_scanners()]}


def _mount_swagger(app: FastAPI) -> None:
    """Swagger UI from the swagger-ui-bundle package, served locally (FastAPI's default /docs
    loads it from a CDN)."""
    try:
        from swagger_ui_bundle import swagger_ui_path
    except ImportError:  # pragma: no cover - in the counter extra
        return
    app.mount("/static/swagger", StaticFiles(directory=swagger_ui_path), name="swagger")

    @app.get("/docs", include_in_schema=False)
    def docs() -> Any:
        return get_swagger_ui_html(
            openapi_url="/openapi.json", title="cardkit — API",
            swagger_js_url="/static/swagger/swagger-ui-bundle.js",
            swagger_css_url="/static/swagger/swagger-ui.css",
            swagger_favicon_url="/static/swagger/favicon-32x32.png")


def app_from_env() -> FastAPI:
    """Factory for uvicorn workers (`uvicorn --factory cardkit.service.app:app_from_env`)."""
    return create_app(ServiceConfig.from_env())
