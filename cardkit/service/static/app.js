// cardkit teller page: no framework, no CDN. Vietnamese first, English switch.
"use strict";

const T = {
  vi: {
    title: "Xác minh CCCD tại quầy", print: "In kết quả", reader_h: "1. Đầu đọc",
    reader: "Chọn đầu đọc", refresh: "Làm mới", policy: "Chính sách",
    policy_bank: "Ngân hàng (chip + khuôn mặt)", policy_clinic: "Bệnh viện (chữ ký + khuôn mặt)",
    policy_inspect: "Chỉ kiểm tra chữ ký", operator: "Mã giao dịch viên",
    key_h: "2. Khoá truy cập", scan: "Quét mã QR trên thẻ bằng camera", or_type: "Hoặc nhập tay:",
    f_id: "Số định danh cá nhân", f_dob: "Ngày sinh", f_expiry: "Có giá trị đến",
    f_can: "hoặc CAN (6 số)", go_h: "4. Đặt thẻ và xác minh",
    finger_h: "3. Vân tay (nếu chính sách yêu cầu)", finger_source: "Lấy vân tay từ",
    finger_none: "Không dùng vân tay", finger_file: "Tệp ảnh vân tay",
    finger_file_l: "Tệp ảnh vân tay (WSQ, PNG, TIFF, BMP)", finger_position: "Ngón tay",
    finger_scanner: "Máy quét: ", finger_need_file: "Chọn tệp ảnh vân tay",
    fp_right_index: "Ngón trỏ phải", fp_left_index: "Ngón trỏ trái",
    fp_right_thumb: "Ngón cái phải", fp_left_thumb: "Ngón cái trái",
    fp_right_middle: "Ngón giữa phải", fp_left_middle: "Ngón giữa trái",
    fp_right_ring: "Ngón áp út phải", fp_left_ring: "Ngón áp út trái",
    fp_right_little: "Ngón út phải", fp_left_little: "Ngón út trái", verify: "Xác minh thẻ",
    camera_h: "Ảnh trên chip và camera tại quầy", chip_photo: "Ảnh trên chip",
    live_photo: "Camera tại quầy (trực tiếp)", lang: "English",
    audit_failed: "Không ghi được nhật ký kiểm toán — báo quản trị hệ thống", fhir: "Tải hồ sơ cho bệnh viện (FHIR)",
    no_reader: "Không có đầu đọc", scanning: "Đưa mặt trước của thẻ (mã QR) vào camera…",
    qr_ok: "Đã đọc mã QR: ", qr_fail: "Chưa thấy mã QR — giữ thẻ phẳng, gần camera",
    no_camera: "Không mở được camera: ", busy: "Đầu đọc đang bận với thẻ khác — chờ xong rồi thử lại",
    need_key: "Nhập số CCCD + ngày sinh + ngày hết hạn, hoặc CAN, hoặc quét mã QR",
    VERIFIED: "ĐÃ XÁC MINH", REJECTED: "TỪ CHỐI", INCOMPLETE: "CHƯA ĐỦ ĐIỀU KIỆN",
    b_passive_auth: "Thẻ thật (chữ ký số)", b_chip: "Chip gốc (chống sao chép)",
    b_document: "Thẻ còn hạn", b_face: "Khuôn mặt", b_finger: "Vân tay",
    s_valid: "đạt", s_match: "khớp", s_invalid: "KHÔNG ĐẠT", s_no_match: "KHÔNG KHỚP",
    s_unverifiable: "chưa kiểm tra được", s_not_performed: "chưa thực hiện",
    s_not_supported: "không hỗ trợ",
    h_id_number: "Số định danh cá nhân", h_full_name: "Họ, chữ đệm và tên",
    h_date_of_birth: "Ngày sinh", h_sex: "Giới tính", h_nationality: "Quốc tịch",
    h_place_of_origin: "Quê quán", h_place_of_residence: "Nơi thường trú",
    h_date_of_expiry: "Có giá trị đến", sex_M: "Nam", sex_F: "Nữ",
  },
  en: {
    title: "ID card check at the counter", print: "Print", reader_h: "1. Reader",
    reader: "Choose the reader", refresh: "Refresh", policy: "Policy",
    policy_bank: "Bank (chip + face)", policy_clinic: "Clinic (signature + face)",
    policy_inspect: "Signature only", operator: "Operator id",
    key_h: "2. Access key", scan: "Scan the card's QR code with the camera", or_type: "Or type:",
    f_id: "ID number (12 digits)", f_dob: "Date of birth", f_expiry: "Date of expiry",
    f_can: "or CAN (6 digits)", go_h: "4. Tap the card and verify",
    finger_h: "3. Fingerprint (when the policy asks for it)", finger_source: "Fingerprint from",
    finger_none: "No fingerprint", finger_file: "Fingerprint image file",
    finger_file_l: "Fingerprint image (WSQ, PNG, TIFF, BMP)", finger_position: "Finger",
    finger_scanner: "Scanner: ", finger_need_file: "Choose the fingerprint image file",
    fp_right_index: "Right index", fp_left_index: "Left index",
    fp_right_thumb: "Right thumb", fp_left_thumb: "Left thumb",
    fp_right_middle: "Right middle", fp_left_middle: "Left middle",
    fp_right_ring: "Right ring", fp_left_ring: "Left ring",
    fp_right_little: "Right little", fp_left_little: "Left little", verify: "Verify card",
    camera_h: "Chip photo and counter camera", chip_photo: "Photo on the chip",
    live_photo: "Counter camera (live)", lang: "Tiếng Việt",
    audit_failed: "The audit record could not be written — call the administrator", fhir: "Download for the hospital (FHIR)",
    no_reader: "No reader", scanning: "Hold the card's front (QR code) to the camera…",
    qr_ok: "QR code read: ", qr_fail: "No QR code yet — hold the card flat, close to the camera",
    no_camera: "Camera cannot be opened: ", busy: "The reader is busy with another card — wait and retry",
    need_key: "Type ID + date of birth + expiry, or the CAN, or scan the QR code",
    VERIFIED: "VERIFIED", REJECTED: "REJECTED", INCOMPLETE: "INCOMPLETE",
    b_passive_auth: "Genuine card (signature)", b_chip: "Original chip (clone check)",
    b_document: "Document valid", b_face: "Face", b_finger: "Finger",
    s_valid: "passed", s_match: "match", s_invalid: "FAILED", s_no_match: "NO MATCH",
    s_unverifiable: "could not check", s_not_performed: "not done", s_not_supported: "not supported",
    h_id_number: "ID number", h_full_name: "Full name", h_date_of_birth: "Date of birth",
    h_sex: "Sex", h_nationality: "Nationality", h_place_of_origin: "Place of origin",
    h_place_of_residence: "Place of residence", h_date_of_expiry: "Valid until",
    sex_M: "Male", sex_F: "Female",
  },
};
let lang = localStorage.getItem("cardkit-lang") || "vi";
let last = null;  // last result, re-rendered on language switch
let lastEvent = null;
let lastJob = null;
const $ = (id) => document.getElementById(id);
const t = (k) => (T[lang][k] !== undefined ? T[lang][k] : k);

// Bearer token (needed when the service listens beyond 127.0.0.1): open the page as /#token=…
const m = location.hash.match(/token=([^&]+)/);
if (m) { sessionStorage.setItem("cardkit-token", decodeURIComponent(m[1])); history.replaceState(null, "", "/"); }
function headers(extra) {
  const h = Object.assign({}, extra || {});
  const tok = sessionStorage.getItem("cardkit-token");
  if (tok) h.Authorization = "Bearer " + tok;
  return h;
}
async function api(path, opts) {
  opts = opts || {};
  opts.headers = headers(opts.headers);
  const r = await fetch(path, opts);
  let body = null;
  try { body = await r.json(); } catch (e) { body = null; }
  return { status: r.status, ok: r.ok, body };
}

function applyLang() {
  document.documentElement.lang = lang;
  document.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = t(el.dataset.i18n); });
  document.querySelectorAll("#finger_source option[data-scanner]").forEach((o) => {
    o.textContent = t("finger_scanner") + o.dataset.scanner; });
  $("lang").textContent = t("lang");
  document.title = t("title") + " — cardkit";
  if (last) render(last);
  if (lastEvent) showEvent(lastEvent);
}

async function loadReaders() {
  const sel = $("reader");
  const r = await api("/api/readers");
  sel.innerHTML = "";
  const list = r.ok ? r.body : [];
  if (!list.length) { const o = new Option(t("no_reader"), ""); sel.add(o); return; }
  for (const rd of list) sel.add(new Option(rd.name + (rd.card_present ? " ●" : ""), rd.name));
}

async function loadScanners() {
  // libfprint scanners that deliver images become choices after "none" and "file".
  const sel = $("finger_source");
  sel.querySelectorAll("option[data-scanner]").forEach((o) => o.remove());
  const r = await api("/api/fingerprint-scanners");
  for (const s of (r.ok && r.body.scanners) || []) {
    if (!s.can_capture) continue;
    const o = new Option(t("finger_scanner") + s.name, "scanner:" + s.device_id);
    o.dataset.scanner = s.name;
    sel.add(o);
  }
}

function readDataUrl(file) {
  return new Promise((res, rej) => { const fr = new FileReader(); fr.onload = () => res(fr.result); fr.onerror = rej; fr.readAsDataURL(file); });
}

async function fingerFields() {
  // {finger_image | finger_scanner, finger_position}, {} for none, null when a file is missing.
  const src = $("finger_source").value;
  if (src === "none") return {};
  const out = { finger_position: $("finger_position").value };
  if (src === "file") {
    const f = $("finger_file").files[0];
    if (!f) return null;
    out.finger_image = await readDataUrl(f);
  } else {
    out.finger_scanner = src.slice("scanner:".length);
  }
  return out;
}

// --- camera ----------------------------------------------------------------------------------------
let stream = null;
async function startCamera() {
  if (stream) return true;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { width: 1280, height: 720 }, audio: false });
    $("camera").srcObject = stream;
    await new Promise((res) => { const v = $("camera"); if (v.readyState >= 2) res(); else v.onloadeddata = res; });
    return true;
  } catch (e) {
    $("qr-status").textContent = t("no_camera") + e.name;
    return false;
  }
}
function grab(type) {
  const v = $("camera"), c = $("frame");
  if (!stream || !v.videoWidth) return null;
  c.width = v.videoWidth; c.height = v.videoHeight;
  c.getContext("2d").drawImage(v, 0, 0);
  return new Promise((res) => c.toBlob(res, type || "image/jpeg", 0.92));
}
async function grabDataUrl() {
  const b = await grab("image/jpeg");
  if (!b) return null;
  return await new Promise((res) => { const fr = new FileReader(); fr.onload = () => res(fr.result); fr.readAsDataURL(b); });
}

async function scanQr() {
  if (!(await startCamera())) return;
  $("qr-status").textContent = t("scanning");
  const until = Date.now() + 30000;
  while (Date.now() < until) {
    const blob = await grab("image/png");
    if (blob) {
      const fd = new FormData(); fd.append("image", blob, "frame.png");
      const r = await api("/api/qr", { method: "POST", body: fd });
      if (r.ok) {
        $("id_number").value = r.body.id_number;
        const d = r.body.date_of_birth.split("-");
        $("dob").value = d[2] + "/" + d[1] + "/" + d[0];
        $("can").value = r.body.can;
        $("qr-status").textContent = t("qr_ok") + r.body.full_name;
        $("expiry").focus();
        return;
      }
    }
    await new Promise((res) => setTimeout(res, 300));
  }
  $("qr-status").textContent = t("qr_fail");
}

// --- verification ----------------------------------------------------------------------------------
function keyFromForm() {
  const id = $("id_number").value.trim(), dob = $("dob").value.trim(), exp = $("expiry").value.trim();
  const can = $("can").value.trim();
  if (id && dob && exp) return { id_number: id, date_of_birth: dob, date_of_expiry: exp };
  if (can) return { can };
  if (id) return { id_number: id };
  return null;
}

function showEvent(ev) {
  lastEvent = ev;
  $("progress").value = ev.percent;
  $("progress-msg").textContent = lang === "vi" ? ev.message_vi : ev.message_en;
}

async function followEvents(id) {
  // SSE read with fetch (EventSource cannot send the bearer token).
  const r = await fetch("/api/verifications/" + id + "/events", { headers: headers() });
  const reader = r.body.getReader();
  const dec = new TextDecoder();
  let buf = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buf += dec.decode(value, { stream: true });
    let i;
    while ((i = buf.indexOf("\n\n")) >= 0) {
      const block = buf.slice(0, i); buf = buf.slice(i + 2);
      let evName = "message", data = "";
      for (const line of block.split("\n")) {
        if (line.startsWith("event: ")) evName = line.slice(7);
        else if (line.startsWith("data: ")) data += line.slice(6);
      }
      if (evName === "progress") showEvent(JSON.parse(data));
      if (evName === "end") return;
    }
  }
}

async function verify(e) {
  e.preventDefault();
  const key = keyFromForm();
  if (!key) { $("progress-msg").textContent = t("need_key"); return; }
  const btn = $("verify");
  btn.disabled = true;
  $("result").hidden = true; last = null;
  try {
    const finger = await fingerFields();
    if (finger === null) { $("finger-status").textContent = t("finger_need_file"); $("finger_file").focus(); return; }
    $("finger-status").textContent = "";
    const face = stream ? await grabDataUrl() : null;
    const body = Object.assign({ reader: $("reader").value, key, policy: $("policy").value,
                                 operator: $("operator").value, face_image: face }, finger);
    const r = await api("/api/verifications", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
    if (r.status === 409) { $("progress-msg").textContent = t("busy"); return; }
    if (!r.ok) { $("progress-msg").textContent = (r.body && r.body.detail) ? JSON.stringify(r.body.detail) : String(r.status); return; }
    lastJob = r.body.id;
    await followEvents(r.body.id);
    const res = await api("/api/verifications/" + r.body.id);
    $("portrait").removeAttribute("src");
    if (res.body.portrait) await loadPortrait(res.body.portrait);
    render(res.body);
    if (res.body.audit_error) $("progress-msg").textContent = "⚠ " + t("audit_failed");
  } finally {
    btn.disabled = false;
  }
}

async function loadPortrait(url) {
  // <img> cannot send the bearer token: fetch the bytes and show them from a blob.
  const r = await fetch(url, { headers: headers() });
  if (r.ok) $("portrait").src = URL.createObjectURL(await r.blob());
}

function badge(name, state) {
  const li = document.createElement("li");
  const good = state === "valid" || state === "match";
  const bad = state === "invalid" || state === "no_match";
  li.className = "badge " + (good ? "good" : bad ? "bad" : "none");
  li.dataset.check = name; li.dataset.state = state;
  li.textContent = (good ? "✔ " : bad ? "✘ " : "– ") + t("b_" + name) + ": " + t("s_" + state);
  return li;
}

function render(res) {
  last = res;
  $("result").hidden = false;
  const v = $("verdict");
  if (res.error) {
    v.className = "verdict INCOMPLETE";
    $("verdict-label").textContent = t("INCOMPLETE");
    $("verdict-reason").textContent = lang === "vi" ? res.error.message_vi : res.error.message_en;
    $("verdict-next").textContent = "";
    $("badges").innerHTML = ""; $("holder").innerHTML = "";
    v.focus();
    return;
  }
  const tv = res.teller;
  v.className = "verdict " + tv.label;
  v.dataset.verdict = tv.label;
  $("verdict-label").textContent = t(tv.label);
  const why = lang === "vi" ? tv.reason_vi : tv.reason_en;
  $("verdict-reason").textContent = why.charAt(0).toUpperCase() + why.slice(1);
  $("verdict-next").textContent = "→ " + (lang === "vi" ? tv.next_step_vi : tv.next_step_en);
  const b = $("badges"); b.innerHTML = "";
  for (const name of ["passive_auth", "chip", "document", "face", "finger"]) {
    b.appendChild(badge(name, tv.badges[name] || "not_performed"));
  }
  const dl = $("holder"); dl.innerHTML = "";
  const h = tv.identity || {};
  for (const k of ["id_number", "full_name", "date_of_birth", "sex", "nationality",
                   "place_of_origin", "place_of_residence", "date_of_expiry"]) {
    if (!h[k]) continue;
    const dt = document.createElement("dt"); dt.textContent = t("h_" + k);
    const dd = document.createElement("dd"); dd.dataset.field = k;
    let val = h[k];
    if (k === "sex") val = t("sex_" + val);
    if (/^\d{4}-\d{2}-\d{2}$/.test(val)) { const p = val.split("-"); val = p[2] + "/" + p[1] + "/" + p[0]; }
    dd.textContent = val;
    dl.append(dt, dd);
  }
  v.focus();
}

async function downloadFhir() {
  if (!lastJob) return;
  const r = await fetch("/api/verifications/" + lastJob + "/patient?format=fhir", { headers: headers() });
  if (!r.ok) return;
  const a = document.createElement("a");
  a.href = URL.createObjectURL(new Blob([await r.text()], { type: "application/fhir+json" }));
  a.download = "patient.fhir.json";
  a.click();
  URL.revokeObjectURL(a.href);
}

$("fhir").addEventListener("click", downloadFhir);
$("lang").addEventListener("click", () => { lang = lang === "vi" ? "en" : "vi"; localStorage.setItem("cardkit-lang", lang); applyLang(); });
$("print").addEventListener("click", () => window.print());
$("refresh").addEventListener("click", loadReaders);
$("scan").addEventListener("click", scanQr);
$("form").addEventListener("submit", verify);
$("finger_file").addEventListener("change", () => { if ($("finger_file").files.length) $("finger_source").value = "file"; });
applyLang();
loadReaders();
loadScanners();
