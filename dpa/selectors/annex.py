"""Annex 1's sub-processor list: the list as it stood on a version's effective date, from the list's history."""

import datetime as dt
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class AnnexRow:
    name: str
    legal_entity: str
    category: str
    purpose: str
    location: str
    hq_country: str


def annex_subprocessors(day: dt.date) -> list[AnnexRow]:
    from subprocessors.selectors import subprocessors_as_of

    rows = []
    for sp in subprocessors_as_of(day):
        category = getattr(sp, "get_category_display", None)
        rows.append(
            AnnexRow(
                name=str(getattr(sp, "name", "")),
                legal_entity=str(getattr(sp, "legal_entity", "") or ""),
                category=str(category() if callable(category) else getattr(sp, "category", "")),
                purpose=str(getattr(sp, "purpose", "") or ""),
                location=str(getattr(sp, "location", "") or ""),
                hq_country=str(getattr(sp, "hq_country", "") or ""),
            )
        )
    return rows


def annex_as_data(rows: list[AnnexRow]) -> list[dict]:
    return [asdict(r) for r in rows]
