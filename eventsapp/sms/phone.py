"""Phone numbers as a gateway wants them: E.164 (+358401234567).

A Finnish number may be written as people write it (040 123 4567, 040-1234567, 0401234567,
+358 40 123 4567, 00358 40…); a foreign one starts with + or 00 and its country code. No
library: E.164 is "+", a country code and at most 15 digits in all, and that is all a
gateway needs from us; it refuses a number it cannot reach, and the outbox shows it.
"""

import re

FINLAND = "358"
_SEPARATORS = re.compile(r"[\s().\-/]")
_DIGITS = re.compile(r"\d+")


class InvalidPhone(ValueError):
    """Not a phone number we can send a text message to."""


def to_e164(raw: str, default_country: str = FINLAND) -> str:
    """The number in E.164, or InvalidPhone. A national number (leading 0) is taken as
    Finnish."""
    compact = _SEPARATORS.sub("", raw or "")
    if compact.startswith("+"):
        digits = compact[1:]
    elif compact.startswith("00"):
        digits = compact[2:]
    elif compact.startswith("0"):
        digits = default_country + compact[1:]
    else:
        raise InvalidPhone(raw)
    if not _DIGITS.fullmatch(digits) or digits.startswith("0"):
        raise InvalidPhone(raw)
    if digits.startswith(FINLAND):
        national = digits[len(FINLAND) :]
        if national.startswith("0"):  # +358 040…: the trunk 0 written after the country code
            national = national[1:]
            digits = FINLAND + national
        if not 5 <= len(national) <= 12:
            raise InvalidPhone(raw)
    if not 8 <= len(digits) <= 15:
        raise InvalidPhone(raw)
    return "+" + digits


def is_mobile_looking(e164: str) -> bool:
    """Finnish mobile numbers start 4x or 50; others may still take texts (the gateway says)."""
    return not e164.startswith("+358") or e164[4:5] == "4" or e164[4:6] == "50"
