"""Search text folded the same way on both databases: lower case, no accents.

"MIESTÄMÖ", "Miestämö" and "miestamo" all become "miestamo"; "Åbo" becomes "abo". The app
keeps `Event.search_text` folded with `fold` and folds the words people type the same way, so
a plain LIKE finds them on SQLite and PostgreSQL alike (and a pg_trgm index serves it there).
"""

import unicodedata


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(plain.split())


def event_text(*parts: str) -> str:
    """An event's searchable text: its titles, summary, descriptions and organiser, folded."""
    return fold(" ".join(part or "" for part in parts))
