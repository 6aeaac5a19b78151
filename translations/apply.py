"""Fill msgstrs from a dict of translations: `python translations/apply.py fi fi_new.py`.

A helper for translators: the dict maps msgid to msgstr (or to a tuple of plural forms).
Existing translations are kept unless the dict gives a new one.
"""

import runpy
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po


def main(locale: str, source: str) -> None:
    table = runpy.run_path(source)[locale.upper()]
    path = Path(__file__).parent / locale / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    for message in catalog:
        key = message.id[0] if isinstance(message.id, tuple) else message.id
        if key in table:
            message.string = table[key]
            message.flags.discard("fuzzy")
    with path.open("wb") as handle:
        write_po(handle, catalog, width=76, sort_output=True, no_location=True)


if __name__ == "__main__":
    main(*sys.argv[1:3])
