"""Finland's municipalities in force on 1 January 2025 (Statistics Finland), from data/."""

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

HOME_REGION = "07"  # Päijät-Häme: the Lahti region's municipalities come first in a select

_CSV = Path(__file__).parent / "data" / "municipalities.csv"


@dataclass(frozen=True)
class Municipality:
    code: str
    name_fi: str
    name_sv: str
    region_code: str
    region_fi: str

    def name(self, locale: str = "fi") -> str:
        if locale == "sv":
            return self.name_sv
        return self.name_fi.split(" - ")[0]  # "Maarianhamina - Mariehamn" -> "Maarianhamina"


@cache
def all_municipalities() -> dict[str, Municipality]:
    with _CSV.open(encoding="utf-8", newline="") as f:
        return {row["code"]: Municipality(**row) for row in csv.DictReader(f)}


def name_of(code: str, locale: str = "fi") -> str:
    municipality = all_municipalities().get(code)
    return municipality.name(locale) if municipality else code


def lookup(value: str) -> Municipality | None:
    """Find a municipality by its code or by its Finnish or Swedish name (any case)."""
    value = value.strip()
    found = all_municipalities().get(value.zfill(3) if value.isdigit() else value)
    if found:
        return found
    wanted = value.casefold()
    for municipality in all_municipalities().values():
        names = {municipality.name_fi, municipality.name("fi"), municipality.name_sv}
        if wanted in {name.casefold() for name in names}:
            return municipality
    return None


def grouped(locale: str = "fi") -> tuple[list[Municipality], list[Municipality]]:
    """The home region's municipalities, then all the others, each sorted by name."""
    items = sorted(all_municipalities().values(), key=lambda m: m.name(locale))
    home = [m for m in items if m.region_code == HOME_REGION]
    return home, [m for m in items if m.region_code != HOME_REGION]
