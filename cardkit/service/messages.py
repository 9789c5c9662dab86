"""What the teller reads while a verification runs, in Vietnamese (first) and English."""

from __future__ import annotations

from typing import Any

_FILE_VI = {"DG1": "MRZ", "DG2": "ảnh chân dung", "DG3": "vân tay", "DG13": "thông tin công dân",
            "DG14": "khoá chống sao chép", "DG15": "khoá xác thực chip", "SOD": "chữ ký số",
            "COM": "mục lục"}

_EVENTS: dict[str, tuple[str, str]] = {
    "waiting_card": ("Đặt thẻ lên đầu đọc", "Place the card on the reader"),
    "card_found": ("Đã nhận thẻ, đang mở kết nối bảo mật", "Card found, opening a secure session"),
    "chip_auth": ("Đang kiểm tra chip gốc (chống sao chép)", "Checking the chip is the original"),
    "checking_signature": ("Đang kiểm tra chữ ký số", "Checking the digital signature"),
    "document_valid": ("Đang kiểm tra hạn sử dụng của thẻ", "Checking the card is still valid"),
    "face": ("Đang so khớp khuôn mặt", "Comparing the face"),
    "finger": ("Đang so khớp vân tay", "Comparing the fingerprint"),
    "finger_scan": ("Đặt ngón tay đã chọn lên máy quét vân tay",
                    "Place the chosen finger on the fingerprint scanner"),
    "done": ("Hoàn tất", "Done"),
    "error": ("Có lỗi", "Error"),
}


def event_text(kind: str, **facts: Any) -> tuple[str, str]:
    """(Vietnamese, English) text of a progress event."""
    if kind == "reading":
        name = str(facts.get("file", ""))
        pct = int(facts.get("file_percent", 0))
        what = _FILE_VI.get(name)
        vi = f"Đang đọc {name}" + (f" ({what})" if what else "") + f" {pct}%"
        return vi, f"Reading {name} {pct}%"
    vi, en = _EVENTS.get(kind, (kind, kind))
    if kind == "error" and facts.get("reason"):
        en = f"{en}: {facts['reason']}"
    return vi, en


# Card/reader errors → what the teller does (keyed by exception class name).
ERRORS: dict[str, tuple[str, str]] = {
    "NoCardError": ("Không thấy thẻ trên đầu đọc — đặt thẻ nằm phẳng, giữa đầu đọc, rồi thử lại",
                    "No card on the reader — lay it flat and centred, then try again"),
    "AccessDeniedError": ("Sai khoá truy cập — kiểm tra số CCCD, ngày sinh, ngày hết hạn (hoặc CAN)",
                          "Wrong access key — check the ID, date of birth, expiry (or CAN)"),
    "CardRemovedError": ("Thẻ bị nhấc ra khi đang đọc — đặt lại thẻ và giữ yên",
                         "The card was removed while reading — put it back and hold it still"),
    "ScannerError": ("Máy quét vân tay không chụp được — đặt ngón tay phẳng lên máy quét rồi thử "
                     "lại; nếu lặp lại, chạy `cardkit doctor`",
                     "The fingerprint scanner gave no image — place the finger flat on it and "
                     "try again; if it recurs, run `cardkit doctor`"),
    "BiometricError": ("Ảnh vân tay hoặc khuôn mặt không dùng được — chụp lại",
                       "The fingerprint or face sample is unusable — capture it again"),
    "TerminalKeyError": ("Không ký được bằng khoá thiết bị đầu cuối (EAC) — báo quản trị hệ thống",
                         "The terminal key (EAC) could not sign — call the administrator"),
    "ReaderError": ("Không dùng được đầu đọc — kiểm tra dây cắm hoặc chạy `cardkit doctor`",
                    "The reader is not usable — check the cable or run `cardkit doctor`"),
}
GENERIC_ERROR = ("Không đọc được thẻ — thử lại; nếu lặp lại, báo quản trị",
                 "The card could not be read — try again; if it recurs, call the administrator")
