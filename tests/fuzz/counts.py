"""Cases generated per fuzz test, printed at the end of the session so a run's
figures can be quoted. A module of its own: pytest imports a conftest under a
name of its own, so a counter kept there would be a second one."""

from __future__ import annotations

from collections import Counter

CASES: Counter[str] = Counter()
