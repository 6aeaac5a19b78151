"""Fill the English catalogue: msgids are English, so every msgstr is its msgid.

Run by `make messages` after `pybabel update`. Plural entries get the singular and the
plural msgid in their two forms. Existing English strings that differ are kept (a
deliberate rewording); empty or fuzzy ones are filled."""

from pathlib import Path

from babel.messages.pofile import read_po, write_po

PO = Path(__file__).parent / "en/LC_MESSAGES/messages.po"


def fill(path: Path = PO) -> int:
    with path.open("rb") as f:
        catalogue = read_po(f, locale="en")
    filled = 0
    for message in catalogue:
        if not message.id:
            continue
        if isinstance(message.id, tuple):
            strings = tuple(message.string or ())
            if message.fuzzy or len(strings) != 2 or not all(strings):
                message.string = (message.id[0], message.id[1])
                filled += 1
        elif message.fuzzy or not message.string:
            message.string = message.id
            filled += 1
        message.flags.discard("fuzzy")
    with path.open("wb") as f:
        write_po(f, catalogue, width=76, omit_header=False, sort_output=True, no_location=True)
    return filled


if __name__ == "__main__":
    print(f"English catalogue: {fill()} messages filled")
