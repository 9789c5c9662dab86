"""Vietnamese output: every user-facing string has a Vietnamese translation; the CLI speaks it."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
from click.testing import CliRunner

from cardkit.i18n import Message, load_catalogue, pick_language, translator
from cardkit_cli.main import cli

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import i18n_update  # noqa: E402

PLACEHOLDER = re.compile(r"\{(\w+)\}")


@pytest.fixture(scope="module")
def msgids() -> list[str]:
    return i18n_update.extracted_msgids()


def test_every_user_facing_string_has_a_vietnamese_translation(msgids: list[str]) -> None:
    vi = load_catalogue("vi")
    assert len(msgids) > 90
    missing = [m for m in msgids if not vi.get(m)]
    assert not missing, "untranslated (run scripts/i18n_update.py, then translate):\n" + \
        "\n".join(missing)
    same = [m for m in msgids if vi[m] == m and PLACEHOLDER.sub("", m).strip(" :{}")]
    assert not same, f"copied, not translated: {same}"


def test_translations_keep_placeholders_and_english_is_complete(msgids: list[str]) -> None:
    vi, en = load_catalogue("vi"), load_catalogue("en")
    for m in msgids:
        assert sorted(PLACEHOLDER.findall(vi[m])) == sorted(PLACEHOLDER.findall(m)), m
        assert unicodedata.is_normalized("NFC", vi[m]), m  # precomposed diacritics
        assert en.get(m) == m


def test_the_check_finds_a_missing_translation(tmp_path: Path) -> None:
    """The extraction sees marked strings; an unmarked catalogue entry would be caught."""
    src = tmp_path / "mod.py"
    src.write_text('from cardkit.i18n import N_\nX = N_("a brand-new teller sentence")\n')
    from babel.messages.extract import extract_from_file

    found = [m for _l, m, _c, _x in extract_from_file("python", str(src),
                                                        keywords=i18n_update.KEYWORDS)]
    assert found == ["a brand-new teller sentence"]
    assert not load_catalogue("vi").get(found[0])


def test_language_choice() -> None:
    assert pick_language("vi", env={}) == "vi"
    assert pick_language(None, env={"CARDKIT_LANG": "vi"}) == "vi"
    assert pick_language(None, env={"LANG": "vi_VN.UTF-8"}) == "vi"
    assert pick_language(None, env={"LANG": "de_DE.UTF-8", "LC_ALL": "C"}) == "en"
    assert pick_language("en", env={"CARDKIT_LANG": "vi"}) == "en"
    msg = Message("the card expired on {date} — ask for a valid document", {"date": "2024-01-05"})
    assert msg.render(translator("vi")) == \
        "thẻ đã hết hạn ngày 2024-01-05 — đề nghị xuất trình giấy tờ còn hạn"


LABELS_VI = ["Số định danh cá nhân", "Họ, chữ đệm và tên", "Ngày sinh", "Giới tính", "Quốc tịch",
             "Quê quán", "Nơi thường trú", "Có giá trị đến", "Dân tộc", "Tôn giáo", "Ngày cấp",
             "Đặc điểm nhận dạng", "Ảnh chân dung", "Chip thật", "Giấy tờ còn hạn"]


def test_read_sim_in_vietnamese() -> None:
    r = CliRunner().invoke(cli, ["read", "--sim", "--lang", "vi"])
    assert r.exit_code == 0, r.stderr
    out = r.stdout
    assert unicodedata.is_normalized("NFC", out)
    for label in LABELS_VI:
        assert f"{label}:" in out, label
    assert "Giới tính:" in out and " Nam\n" in out
    assert "05/01/1993" in out and "05/01/2033" in out  # dates as printed on the card
    assert out.rstrip().endswith("ĐÃ XÁC THỰC — mọi kiểm tra bắt buộc đều đạt")
    for english in ("Date of birth", "VERIFIED", "Chip genuine", "valid until"):
        assert english not in out


def test_rejected_verdicts_and_errors_in_vietnamese(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CARDKIT_LANG", "vi")
    r = CliRunner().invoke(cli, ["read", "--sim", "clone"])
    assert r.exit_code == 3
    assert "TỪ CHỐI — không chấp nhận: chip là bản sao hoặc giả mạo" in r.stdout
    r = CliRunner().invoke(cli, ["read", "--sim", "expired"])
    assert r.exit_code == 8 and "thẻ đã hết hạn ngày 05/01/2024" in r.stdout  # DD/MM/YYYY
    r = CliRunner().invoke(cli, ["read", "--sim", "default", "--id", "001093000001", "--dob",
                                 "1993-01-06", "--expiry", "2033-01-05"])
    assert r.exit_code == 4
    assert r.stderr.startswith("cardkit: lỗi: Thẻ từ chối khóa truy cập — hãy kiểm tra số "
                               "định danh")


def test_json_keys_stay_english_whatever_the_language() -> None:
    en = json.loads(CliRunner().invoke(cli, ["read", "--sim", "--json", "--lang", "en"]).stdout)
    vi = json.loads(CliRunner().invoke(cli, ["read", "--sim", "--json", "--lang", "vi"]).stdout)
    assert list(en) == list(vi) and en["verdict"] == vi["verdict"]
    assert en["identity"] == vi["identity"]


def test_python_dash_m_cardkit_speaks_vietnamese_from_the_environment() -> None:
    r = subprocess.run([sys.executable, "-m", "cardkit", "read", "--sim", "forged-dg"],
                       cwd=ROOT, capture_output=True, text=True, timeout=120,
                       env={**__import__("os").environ, "CARDKIT_LANG": "vi"})
    assert r.returncode == 3, r.stderr
    assert "dữ liệu thẻ đã bị sửa đổi sau khi thẻ được cấp" in r.stdout
    assert "Traceback" not in r.stderr


def test_group_level_lang_reaches_the_command_and_does_not_leak() -> None:
    r = CliRunner().invoke(cli, ["--lang", "vi", "read", "--sim", "expired"])
    assert r.exit_code == 8 and "TỪ CHỐI" in r.stdout
    r = CliRunner().invoke(cli, ["read", "--sim", "expired"], env={"CARDKIT_LANG": "en"})
    assert "REJECTED" in r.stdout and "TỪ CHỐI" not in r.stdout


def test_doctor_speaks_vietnamese() -> None:
    r = CliRunner().invoke(cli, ["doctor", "--no-select", "--lang", "vi"])
    assert r.exit_code in (0, 4)
    assert "Kết quả:" in r.stdout and "Result:" not in r.stdout
    assert "pcscd: " in r.stdout and "PC/SC service" not in r.stdout
