"""One row of the reliability matrix, and the sizes a matrix runs at."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

# small: CI, the whole matrix in a few minutes; full: by hand, the figures of docs/reliability.md
Size = Literal["small", "full"]


@dataclass(frozen=True)
class Row:
    """``fault`` injected, what ``must`` hold, what was ``measured``, and whether it ``holds``."""

    fault: str
    must: str
    measured: str
    holds: bool
