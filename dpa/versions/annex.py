"""Annex 1's sub-processor list, rebuilt from the list's history: as it stood on a version's effective date (the
informational copies), or at the exact moment an agreement for signature was prepared (what a signatory signs)."""

import datetime as dt
import hashlib
import json
from dataclasses import asdict, dataclass

from subprocessors.listing.selectors import subprocessors_as_of, subprocessors_at


@dataclass(frozen=True)
class AnnexRow:
    name: str
    legal_entity: str
    category: str
    purpose: str
    location: str
    hq_country: str


@dataclass(frozen=True)
class AnnexSnapshot:
    """The rows printed in Annex 1 and the moment they were taken from the list."""

    as_of: dt.datetime
    rows: list[dict]

    @property
    def sha256(self) -> str:
        return annex_sha256(self.rows)


def _rows(subprocessors) -> list[AnnexRow]:
    rows = []
    for sp in subprocessors:
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


def annex_subprocessors(day: dt.date) -> list[AnnexRow]:
    return _rows(subprocessors_as_of(day))


def annex_as_data(rows: list[AnnexRow]) -> list[dict]:
    return [asdict(r) for r in rows]


def annex_at(moment: dt.datetime) -> AnnexSnapshot:
    """Annex 1 as of `moment`: the sub-processors in force then (every change recorded at or before it)."""

    return AnnexSnapshot(as_of=moment, rows=annex_as_data(_rows(subprocessors_at(moment))))


def annex_sha256(rows: list[dict]) -> str:
    """A fingerprint of the rows as printed; equal rows give equal hashes whatever the key order."""
    canonical = json.dumps(rows, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()
