"""Mapping problems, and the collector that gathers all of a record's in one pass.

A planner reads each problem as a row of the mismatch report: the E-Program
field, the value as received, and a reason in Bahasa Indonesia. So every
failure (unreadable text, a list that is not a list, a model rule) is turned
into one, and the mapping never raises for bad data.
"""

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from pydantic import BaseModel, TypeAdapter, ValidationError

from mappings.vocabulary import Kategori

# Informational: what the mapping repaired on its own (a widened code, a
# resolved X.XX). Not a mismatch; kept so that a change can be traced.
CATATAN = "catatan"

# A value is kept whole for its finding's page (a list of 64 indicators runs to
# a few thousand characters); only past this generous cap is it cut, and the
# cut says how much was left out.
_NILAI_MAX = 100_000
_INDEX = re.compile(r"\[[0-9]+\]")
_FIRST_PART = re.compile(r"[\[.]")


@dataclass(frozen=True)
class MappingProblem:
    """One thing about a source record that did not fit (or, as a note, was repaired).

    ``kategori`` is a mismatch code of docs/design.md ("format_kode",
    "indikator_tidak_lengkap", ...), "data_tidak_valid" for other unusable
    values, or "catatan" for a note. ``field`` is the E-Program field path
    ("pagu", "sumber_dana[0].pagu_dana"; "" for the record as a whole).
    ``nilai`` is the value as received, as text (whole up to 100.000 characters).
    """

    kategori: str
    field: str
    nilai: str | None
    alasan: str


def as_nilai(value: object) -> str | None:
    """The received value as report text: strings as is, anything else as JSON;
    past the cap, cut with a note of how many characters were left out."""
    if value is None:
        return None
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    if len(text) <= _NILAI_MAX:
        return text
    left_out = f"{len(text) - _NILAI_MAX:,}".replace(",", ".")
    return f"{text[:_NILAI_MAX]}… ({left_out} karakter berikutnya tidak disimpan)"


def field_path(loc: tuple[str | int, ...]) -> str:
    """("sumber_dana", 0, "pagu_dana") → "sumber_dana[0].pagu_dana"."""
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else part)
    return path


def at_least_one(problems: list[MappingProblem]) -> tuple[MappingProblem, ...]:
    """The problems of a record that failed, never none: a failure needs a reason."""
    return tuple(problems) or (
        MappingProblem(Kategori.DATA_TIDAK_VALID, "", None, "Rekaman tidak valid"),
    )


_M = TypeVar("_M", bound=BaseModel)
_D = TypeVar("_D")
_Loc = tuple[str | int, ...]

_STRUCTURE_REASONS = {
    "string_type": "harus berupa teks atau angka",
    "list_type": "harus berupa daftar",
    "model_type": "harus berupa objek",
    "dict_type": "harus berupa objek",
}


class ProblemCollector:
    """Gathers a record's problems, notes and target values while it is mapped.

    ``values`` is filled only with values that could be read, so that the
    target model reports what else is wrong without repeating what is known.
    ``labels`` names E-Program fields for the reasons ("pagu" → "Pagu").
    """

    def __init__(self, labels: Mapping[str, str]) -> None:
        self.labels = labels
        self.problems: list[MappingProblem] = []
        self.notes: list[MappingProblem] = []
        self.values: dict[str, Any] = {}
        self._origin: dict[_Loc, tuple[str, str | None]] = {}
        self._broken: set[str] = set()

    def label(self, field: str) -> str:
        """The name a planner reads: "sumber_dana[0].pagu_dana" → "Pagu sumber dana"."""
        key = _INDEX.sub("", field)
        return self.labels.get(key) or self.labels.get(key.split(".")[0]) or field

    def problem(self, kategori: str, field: str, nilai: object, alasan: str) -> None:
        # A field whose structure was already refused gets no second row
        # ("Pagu kosong" after "Pagu harus berupa teks atau angka"), and a
        # field read for two targets (kode_skpd) no repeated one.
        problem = MappingProblem(kategori, field, as_nilai(nilai), alasan)
        broken = _FIRST_PART.split(field, maxsplit=1)[0] in self._broken
        if not broken and problem not in self.problems:
            self.problems.append(problem)

    def note(self, kategori: str, field: str, nilai: object, alasan: str) -> None:
        self.notes.append(MappingProblem(kategori, field, as_nilai(nilai), alasan))

    def origin(self, loc: _Loc, field: str, nilai: str | None) -> None:
        """Remember which E-Program field a target value (at ``loc``) came from."""
        self._origin[loc] = (field, nilai)

    def put(self, target: str, field: str, nilai: str | None, value: object) -> None:
        """Set a target value derived without parsing, remembering its origin."""
        self.origin((target,), field, nilai)
        self.values[target] = value

    def take(
        self,
        target: str,
        field: str,
        value: str | None,
        parse: Callable[[str], object],
        *,
        required: bool = True,
    ) -> None:
        """Parse ``value`` into ``values[target]``, or record why it cannot be."""
        self._origin[(target,)] = (field, value)
        if not value or value.isspace():  # None, "" or blanks only
            if required:
                self.problem(Kategori.DATA_TIDAK_VALID, field, value, f"{self.label(field)} kosong")
            else:
                self.values[target] = None
            return
        try:
            self.values[target] = parse(value)
        except ValueError as exc:
            self.problem(Kategori.DATA_TIDAK_VALID, field, value, f"{self.label(field)} {exc}")

    def raw(self, model: type[BaseModel], data: Mapping[str, Any], tidy: TypeAdapter[_D]) -> _D:
        """Validate a raw record into ``tidy``'s plain dicts; fields of the wrong
        shape become problems and are dropped.

        ``tidy`` must give what ``model`` gives, as a dict. What it refuses,
        ``model`` validates again, because its errors name each bad field.
        """
        data = dict(data)
        try:
            return tidy.validate_python(data)
        except ValidationError:
            pass
        try:
            return cast(_D, model.model_validate(data).model_dump())
        except ValidationError as exc:
            for error in exc.errors():
                loc, path = error["loc"], field_path(error["loc"])
                reason = _STRUCTURE_REASONS.get(error["type"], "tidak valid")
                where = self.label(path) if len(loc) == 1 else f"{self.label(path)}: {path}"
                self.problem(Kategori.DATA_TIDAK_VALID, path, error["input"], f"{where} {reason}")
                self._broken.add(path.split("[")[0])
        kept = {k: v for k, v in data.items() if k not in self._broken}
        return cast(_D, model.model_validate(kept).model_dump())

    def build(self, model: type[_M], kategori: Mapping[str, str]) -> _M | None:
        """Validate ``values`` as ``model``; each refused value becomes a problem.

        ``kategori`` gives the problem category per target field (default
        "data_tidak_valid"). Missing fields are skipped: a value is missing
        only because reading it already failed and was reported.
        """
        try:
            return model.model_validate(self.values)
        except ValidationError as exc:
            for error in exc.errors():
                if error["type"] == "missing":
                    continue
                loc = error["loc"]
                field, nilai = self._source_of(loc) or (field_path(loc), error["input"])
                ctx = error.get("ctx") or {}
                reason = str(ctx["error"]) if "error" in ctx else "tidak valid"
                alasan = f"{self.label(field)} {reason}"
                self.problem(
                    kategori.get(str(loc[0]), Kategori.DATA_TIDAK_VALID), field, nilai, alasan
                )
            return None

    def _source_of(self, loc: _Loc) -> tuple[str, str | None] | None:
        # The closest remembered origin: ("sumber_dana", 1, "pagu") falls
        # back to ("sumber_dana", 1) when only the item was remembered.
        for end in range(len(loc), 0, -1):
            if loc[:end] in self._origin:
                return self._origin[loc[:end]]
        return None
