"""What a person or a client may send, read in one place: text and whole numbers
in a path, a query, a JSON body or a form, for the API and the report pages
alike (docs/design.md, promise 7).

Every input of every route is declared with these types; a value outside them
is a 4xx in Bahasa Indonesia (app.http.errors for the API, app.web.errors for the
pages) before any query runs. tests/fuzz/test_route_inputs.py walks the router
and fails for an input declared without them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BeforeValidator, GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError, core_schema
from starlette.convertors import Convertor, register_url_convertor

INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1
TEXT_MAX = 2000

# Never in text people send: C0 controls, DEL and C1 controls (NUL is refused
# by PostgreSQL and breaks headers), the bidi overrides and isolates that make
# text read otherwise than it is (U+202A-U+202E, U+2066-U+2069), and lone
# surrogates, which are no character at all and which no database can store.
_NEVER = "\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff"
_ONE_LINE = re.compile(f"[\x00-\x1f{_NEVER}]")
# A note may have lines and tabs (line ends are stored as \n).
_NOTE = re.compile(f"[\x00-\x08\x0b-\x1f{_NEVER}]")
# What the OpenAPI document says of such text (surrogates cannot be sent in JSON
# Schema's terms, so they are left out of the pattern).
_ONE_LINE_PATTERN = r"^[^\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*$"
_NOTE_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*$"


def _named(char: str) -> str:
    code = f"U+{ord(char):04X}"
    if "\ud800" <= char <= "\udfff":
        return f"surrogate tunggal {code} (bukan teks Unicode yang sah)"
    if char in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069":
        return f"karakter pembalik arah teks {code}"
    return f"karakter kontrol {code}"


@dataclass(frozen=True)
class TextRule:
    """Annotated metadata for text: no control characters (a note keeps its tabs
    and line breaks), ``min_length`` to ``max_length`` characters, and the
    ``pattern`` when one is given; ``strip`` trims spaces first."""

    max_length: int = TEXT_MAX
    pattern: str | None = None
    multiline: bool = False
    strip: bool = False
    min_length: int | None = None
    # The OpenAPI document's "format" (e.g. "date"), so clients and the API's
    # fuzzing send what the route reads.
    schema_format: str | None = None

    def check(self, value: Any) -> Any:
        if not isinstance(value, str):
            return value  # the str schema says "harus teks"
        if self.multiline:
            value = value.replace("\r\n", "\n").replace("\r", "\n")
        found = (_NOTE if self.multiline else _ONE_LINE).search(value)
        if found:
            raise PydanticCustomError(
                "karakter_terlarang",
                "tidak boleh berisi {karakter}",
                {"karakter": _named(found.group())},
            )
        return value

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        text = core_schema.str_schema(
            min_length=self.min_length,
            max_length=self.max_length,
            pattern=self.pattern,
            strip_whitespace=self.strip or None,
        )
        return core_schema.no_info_before_validator_function(self.check, text)

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        documented = handler(schema)
        if self.pattern is None:
            documented["pattern"] = _NOTE_PATTERN if self.multiline else _ONE_LINE_PATTERN
        if self.schema_format is not None:
            documented["format"] = self.schema_format
        return documented


@dataclass(frozen=True)
class IntegerRule:
    """Annotated metadata for a whole number: from text, ASCII digits only (no
    sign, spaces, underscores, superscripts or other scripts' digits), and
    within ``ge``..``le``, the range of the column it is compared with."""

    ge: int
    le: int

    def digits(self, value: Any) -> Any:
        if not isinstance(value, str):
            return value  # JSON numbers: the int schema judges them
        if not (value.isascii() and value.isdigit()):
            raise PydanticCustomError("angka_saja", "harus bilangan bulat, angka 0-9 saja")
        if len(value.lstrip("0")) > len(str(self.le)):
            # Python refuses to read very long numbers; no such one is in range anyway.
            raise PydanticCustomError("less_than_equal", "paling besar {le}", {"le": self.le})
        return value

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        return core_schema.no_info_before_validator_function(
            self.digits, core_schema.int_schema(ge=self.ge, le=self.le)
        )


# One line of text (a filter, a code, a name); narrower ones say their own
# length or pattern, e.g. Annotated[str, TextRule(100)].
Text = Annotated[str, TextRule()]
# A note: lines and tabs allowed, spaces around trimmed. A reason must say something.
Note = Annotated[str, TextRule(TEXT_MAX, multiline=True, strip=True)]
Reason = Annotated[str, TextRule(TEXT_MAX, multiline=True, strip=True, min_length=1)]
# An Integer key (32-bit on PostgreSQL; a larger one cannot exist) and a BigInteger one.
Id = Annotated[int, IntegerRule(1, INT32_MAX)]
BigId = Annotated[int, IntegerRule(1, INT64_MAX)]
TahunAnggaran = Annotated[int, IntegerRule(2000, 2100)]


def _blank_is_none(value: Any) -> Any:
    return None if value == "" else value


# A form or a link sends an empty field for "not chosen": `?setelah=` is no filter.
BlankIsNone = BeforeValidator(_blank_is_none)


class _Digits(Convertor[str]):
    """A path segment of ASCII digits, kept as text so that IntegerRule judges
    its size: Starlette's ``int`` converts while routing, where a number of
    10,000 digits raised an error instead of a 4xx."""

    regex = "[0-9]+"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return str(value)


register_url_convertor("digits", _Digits())


# A calendar date as people write it (YYYY-MM-DD); whether it exists is the
# route's to say (app.api.tindak_lanjut.tanggal, app.web.tindak_lanjut).
Tanggal = Annotated[
    str, TextRule(10, pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", schema_format="date")
]
