"""The OPDs a route may show its caller, as the access policy scopes the route."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from app.access.keys import Principal
from app.access.policy import Scoping, rule


class NotScoped(RuntimeError):
    """A route read the caller's OPDs though the policy does not scope it so:
    a programming error, caught by the test that walks the routes."""


@dataclass(frozen=True)
class OpdScope:
    """The OPDs (kode_skpd) an answer may show; ``opd`` None: every OPD."""

    opd: frozenset[str] | None

    @property
    def limited(self) -> bool:
        return self.opd is not None

    def shows(self, kode_skpd: str | None) -> bool:
        """A row of this OPD may be shown (a row of no OPD only to an unlimited key)."""
        return self.opd is None or kode_skpd in self.opd

    def shows_run(self, kode_skpd: Sequence[str] | None) -> bool:
        """A run that covered these OPDs (None: every OPD) covered one of ours."""
        return self.opd is None or not kode_skpd or not self.opd.isdisjoint(kode_skpd)

    def cut(self, kode_skpd: Sequence[str] | None) -> list[str] | None:
        """A run's OPD list as this caller may read it: only its own OPDs."""
        if not kode_skpd:
            return None
        return sorted(set(kode_skpd) & self.opd) if self.opd is not None else list(kode_skpd)


def for_route(principal: Principal, method: str, path: str) -> OpdScope:
    """The caller's OPDs on a route the policy scopes to the key's OPDs."""
    found = rule(method, path)
    if found is None or found.scoping is not Scoping.KEY_OPDS:
        raise NotScoped(f"{method} {path}: app.access.policy does not scope this route to OPDs")
    return OpdScope(principal.opd)
