"""What one run covers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from app.vocabulary import Tahap

# kode_skpd: three urusan.bidang pairs, the OPD number, the unit number.
# ASCII digits: \d would also take other scripts' digits (٣, ३).
KODE_SKPD = r"^[0-9]+\.[0-9]{2}\.[0-9]+\.[0-9]{2}\.[0-9]+\.[0-9]{2}\.[0-9]{2}\.[0-9]{4}$"
# The codes of app.vocabulary.Tahap, for what checks text against them.
TAHAP: tuple[str, ...] = tuple(t.value for t in Tahap)


@dataclass(frozen=True)
class Scope:
    tahun_anggaran: int
    tahap: str
    kode_skpd: tuple[str, ...] = ()
    full: bool = False

    @property
    def partial(self) -> bool:
        """A run for some OPD only: it reads everything but owns no checkpoint."""
        return bool(self.kode_skpd)

    def covers(self, raw: Mapping[str, Any]) -> bool:
        """A raw E-Program record of one of the run's OPD (any, when it names none)."""
        return not self.kode_skpd or str(raw.get("kode_skpd", "")).strip() in self.kode_skpd

    def __str__(self) -> str:
        text = f"{self.tahun_anggaran}/{self.tahap}"
        if self.kode_skpd:
            text += " OPD " + ",".join(self.kode_skpd)
        return text
