"""How many SMS segments a text takes (3GPP TS 23.038).

A text in the GSM 7-bit alphabet (which has ä, ö, å, Ä, Ö, Å, é, ü…) fits 160 characters in one
segment and 153 per segment when split; one character outside it makes the whole text UCS-2:
70, and 67 per segment. Characters of the extension table ({ } [ ] ~ \\ | ^ €) count twice.
"""

BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
EXTENSION = set("^{}\\[~]|€\f")
# What people type that GSM-7 lacks, and the nearest it has: keeps a text in one encoding.
PLAIN = str.maketrans(
    {"–": "-", "—": "-", "’": "'", "‘": "'", "“": '"', "”": '"', "…": "...", "\u00a0": " "}
)


def is_gsm(text: str) -> bool:
    return all(ch in BASIC or ch in EXTENSION for ch in text)


def length(text: str) -> int:
    """Septets (GSM-7) or UTF-16 code units (UCS-2) the text takes."""
    if is_gsm(text):
        return sum(2 if ch in EXTENSION else 1 for ch in text)
    return len(text.encode("utf-16-le")) // 2


def segments(text: str) -> int:
    single, multi = (160, 153) if is_gsm(text) else (70, 67)
    size = length(text)
    return 1 if size <= single else -(-size // multi)


def plain(text: str) -> str:
    """Dashes, curly quotes and ellipses as GSM-7 has them."""
    return text.translate(PLAIN)


def fit(render, title: str, max_segments: int = 2) -> str:
    """`render(title)` with the title shortened (never the link or the time) until the text
    takes at most `max_segments` segments."""
    text = plain(render(title))
    while segments(text) > max_segments and len(title) > 12:
        title = title[: max(12, len(title) - 8)].rstrip() + "..."
        text = plain(render(title))
    return text
