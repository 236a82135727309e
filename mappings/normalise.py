"""Pure helpers that turn E-Program's untidy text into typed values.

Every function raises ``ValueError`` with a short reason in Bahasa Indonesia
(written to follow the field's name, e.g. "Pagu" + " tidak dapat dibaca
sebagai angka"), so the mapping can put it straight into the mismatch report.
"""

import re
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo

WIB = ZoneInfo("Asia/Jakarta")

# re.ASCII everywhere: \d and \s must not match Arabic-Indic digits or the
# like, which Decimal() would otherwise silently accept.
_A = re.ASCII

# --- numbers -------------------------------------------------------------

_NUMBER_BODY = re.compile(r"[0-9]+(?:[.,][0-9]+)*", _A)
_FIRST_GROUP = re.compile(r"[1-9][0-9]{0,2}", _A)
_MONEY_DECOR = re.compile(r"^rp\.?\s*|,-$", re.IGNORECASE | _A)
_INDONESIAN_MONEY = re.compile(r"([1-9][0-9]{0,2}(?:\.[0-9]{3})+),([0-9]{1,2})", _A)


def _grouped(text: str, sep: str) -> bool:
    """True when ``text`` is digits grouped by threes with ``sep`` ("1.176.533")."""
    first, *rest = text.split(sep)
    return bool(_FIRST_GROUP.fullmatch(first)) and all(len(g) == 3 for g in rest)


def parse_decimal_text(text: str) -> Decimal:
    """Read a number written the Indonesian or the English way.

    The rules, in order:
    - both ``.`` and ``,`` present: the last one is the decimal mark, the other
      groups thousands ("1.176.533.636,00", "296,187,500.00");
    - one kind used more than once: it groups thousands ("1.176.533.636");
    - one separator followed by exactly three digits, after a leading group of
      1-3 digits not starting with 0: it groups thousands ("1.200" is 1200).
      Rupiah amounts never carry three decimals, and Indonesian writes
      thousands with a dot, so this is the only sensible reading;
    - otherwise the single separator is the decimal mark ("8,5", "8.3",
      "296187500.00", "0.125").
    """
    s = text.strip()
    sign = ""
    if s[:1] in ("-", "+"):
        sign, s = ("-" if s[0] == "-" else ""), s[1:].lstrip()
    if s.isascii() and s.isdigit():  # the common case, "296187500": nothing to decide
        return Decimal(sign + s)
    if not _NUMBER_BODY.fullmatch(s):
        raise ValueError("tidak dapat dibaca sebagai angka")
    dots, commas = s.count("."), s.count(",")
    if not dots and not commas:
        return Decimal(sign + s)
    if dots and commas:
        mark = "." if s.rfind(".") > s.rfind(",") else ","
        group = "," if mark == "." else "."
        whole, _, frac = s.rpartition(mark)
        if s.count(mark) != 1 or not _grouped(whole, group):
            raise ValueError("tidak dapat dibaca sebagai angka (pemisah ribuan tidak konsisten)")
        return Decimal(f"{sign}{whole.replace(group, '')}.{frac}")
    sep = "." if dots else ","
    if dots + commas > 1:
        if not _grouped(s, sep):
            raise ValueError("tidak dapat dibaca sebagai angka (pemisah ribuan tidak konsisten)")
        return Decimal(sign + s.replace(sep, ""))
    if _grouped(s, sep):
        return Decimal(sign + s.replace(sep, ""))
    return Decimal(sign + s.replace(sep, "."))


def parse_money(value: object) -> Decimal:
    """Parse a money value from E-Program into an exact ``Decimal``.

    Accepts strings in every format :func:`parse_decimal_text` reads, with an
    optional "Rp" prefix and the ",-" suffix, JSON integers, ``Decimal`` and
    JSON floats (through ``str()``, never ``Decimal(float)``, so 0.1 stays 0.1).
    A negative amount parses: whether it is allowed is the model's decision
    (``RenjaSubKegiatan`` requires pagu >= 0, so it becomes a mapping problem).
    Empty values raise; use :func:`parse_money_optional` where empty means none.
    """
    # Text first: the raw record's money is always text by now.
    if isinstance(value, str):
        if value.isdigit() and value.isascii():  # the common case, "296187500"
            return Decimal(value)
        # The next most common, read at once: what the rules below make of them.
        whole, point, cents = value.partition(".")
        if point and 0 < len(cents) < 3 and whole.isdigit() and cents.isdigit() and value.isascii():
            return Decimal(value)  # "296187500.00": one point, then one or two digits
        if indonesian := _INDONESIAN_MONEY.fullmatch(value):  # "715.224.000,00"
            return Decimal(f"{indonesian[1].replace('.', '')}.{indonesian[2]}")
        if not value.strip():
            raise ValueError("kosong")
        result = parse_decimal_text(_MONEY_DECOR.sub("", value.strip()))
    elif value is None:
        raise ValueError("kosong")
    elif isinstance(value, bool):
        raise ValueError("tidak dapat dibaca sebagai angka")
    elif isinstance(value, int):
        return Decimal(value)
    elif isinstance(value, float):
        result = Decimal(str(value))
    elif isinstance(value, Decimal):
        result = value
    else:
        raise ValueError("tidak dapat dibaca sebagai angka")
    if not result.is_finite():
        raise ValueError("tidak dapat dibaca sebagai angka")
    return result


def parse_money_optional(value: object) -> Decimal | None:
    """Like :func:`parse_money`, but ``None`` and blank text mean "no amount"."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return parse_money(value)


# --- codes ---------------------------------------------------------------

# urusan.bidang.program.level.kegiatan + a two- or four-digit sub kegiatan number
_KODE_SUB_KEGIATAN = re.compile(
    r"([0-9]\.[0-9]{2}\.[0-9]{2}\.[0-9]\.[0-9]{2})\.([0-9]{2}|[0-9]{4})", _A
)
_KODE_SKPD = re.compile(r"([0-9]\.[0-9]{2})(?:\.[0-9]\.[0-9]{2}){2}\.[0-9]{2}\.[0-9]{4}", _A)
_PLACEHOLDER = re.compile(r"X\.XX(?=\.)", re.IGNORECASE | _A)


def widen_kode_sub_kegiatan(kode: str) -> str:
    """Turn the old two-digit sub kegiatan number into the four-digit form.

    "7.01.02.2.01.01" becomes "7.01.02.2.01.0001"; a four-digit code is
    returned unchanged. Any other shape (including an unresolved ``X.XX``)
    raises ``ValueError``.
    """
    match = _KODE_SUB_KEGIATAN.fullmatch(kode.strip())
    if match is None:
        raise ValueError("tidak berbentuk kode sub kegiatan (mis. 1.02.02.2.01.0001)")
    return f"{match[1]}.{match[2].zfill(4)}"


def resolve_bidang_placeholder(kode: str, kode_skpd: str | None) -> str:
    """Replace the placeholder bidang ``X.XX`` with the OPD's main bidang urusan.

    "X.XX.01.2.01.0001" under kode_skpd "1.02.0.00.0.00.01.0000" becomes
    "1.02.01.2.01.0001": the first two segments of kode_skpd are the OPD's
    main bidang. A code without the placeholder is returned unchanged and
    kode_skpd is not looked at.
    """
    kode = kode.strip()
    if not _PLACEHOLDER.match(kode):
        return kode
    match = _KODE_SKPD.fullmatch((kode_skpd or "").strip())
    if match is None:
        raise ValueError("memakai bidang X.XX, tetapi kode SKPD kosong atau salah format")
    return match[1] + kode[len("X.XX") :]


# --- text ----------------------------------------------------------------

# A dotted code of three or more segments at the start of a name, followed by
# a space, a dash or a colon (or nothing): "7.01.02.2.01.01 Koordinasi ...".
_AFTER_CODE = r"(?:\s*[-–:]\s*|\s+|$)"
_CODE_PREFIX = re.compile(r"(?:[0-9X]+\.){2,}[0-9X]+" + _AFTER_CODE, re.IGNORECASE | _A)
_AFTER_CODE_AT = re.compile(_AFTER_CODE)


def clean_text(text: str | None) -> str:
    """Collapse line breaks, tabs and repeated spaces into one space; strip."""
    return " ".join(text.split()) if text else ""


# Names repeat across records (the OPD's name on each of its records, the
# nomenclature's names on every OPD's): cached. Pure, and str is immutable.
@lru_cache(maxsize=4096)
def clean_name(name: str | None, kode: str | None = None) -> str:
    """Clean a name as people typed it: no code prefix, single spaces, stripped.

    The prefix is dropped whether it is ``kode`` itself (in either width) or
    any other dotted code; nothing else about the name changes. Every leading
    code goes ("7.01.02.2.01.01 - 7.01.02.2.01.0001 Koordinasi"), so that a
    cleaned name cleans to itself.
    """
    text = clean_text(name)
    code = (kode or "").strip()
    while text:
        prefix = _CODE_PREFIX.match(text)
        # Only for a code of an odd shape the general pattern does not know. A
        # plain comparison, not a pattern built from the code: that compiled a
        # new regex for nearly every record (the re module caches only 512).
        if prefix is None and code and text[: len(code)].lower() == code.lower():
            prefix = _AFTER_CODE_AT.match(text, len(code))
        if prefix is None:
            break
        text = text[prefix.end() :].strip()
    return text


_TAG = re.compile(r"\[[^\]]*\]\s*[-–:]?\s*")


# Sumber dana names come from a short reference list: cached, not re-read.
@lru_cache(maxsize=1024)
def strip_tag(name: str | None) -> str:
    """Drop a leading "[...] - " tag: "[DANA UMUM] - PAD" becomes "PAD"."""
    text = clean_text(name)
    # Every leading tag ("[DAK] [FISIK] - ..."), so that a stripped name strips to itself.
    while tag := _TAG.match(text):
        text = text[tag.end() :]
    return text


# --- targets -------------------------------------------------------------

_TARGET = re.compile(r"([+-]?[0-9](?:[0-9.,]*[0-9])?)\s*(.*)", _A)
_DIGIT = re.compile(r"[0-9]")


# Targets repeat across records ("100", "%", "100 %"): cached, since one
# record has four of them. Decimal and str are immutable, so sharing is safe.
@lru_cache(maxsize=8192)
def parse_target(
    text: str | None, satuan: str | None, teks: str | None
) -> tuple[Decimal | None, str]:
    """Split an indicator target into a number and the text planners read.

    The number is the leading numeral when the rest is only a unit ("100 %",
    "12 Bulan", "8,5", "1.200 Orang"); otherwise (``"Ada"``, ``"1-2"``) the
    target is not a number and ``None`` is returned. The text is ``teks``
    (e.g. ``targetoutputteks``) when given, else the original text followed by
    ``satuan`` unless it already ends with it.
    """
    raw = clean_text(text)
    unit = clean_text(satuan)
    number: Decimal | None = None
    if raw.isdigit() and raw.isascii():  # the common case, "100": a number, no unit
        number = Decimal(raw)
        match = None
    else:
        match = _TARGET.fullmatch(raw)
    # The rest must be a unit: no digits ("5 dari 10 desa" is not 5), unless
    # it is exactly the satuan ("100 M2" with satuan "M2").
    if match and (not _DIGIT.search(match[2]) or match[2].casefold() == unit.casefold()):
        try:
            number = parse_decimal_text(match[1])
        except ValueError:
            number = None
    shown = clean_text(teks)
    if not shown and raw:
        needs_unit = unit and not raw.casefold().endswith(unit.casefold())
        shown = f"{raw} {unit}" if needs_unit else raw
    return number, shown


# --- flags, months, times ------------------------------------------------

_TRUE = {"1", "true"}
_FALSE = {"0", "false"}


def parse_active(value: object) -> bool:
    """Read an E-Program flag (``active``, ``is_skpd``): "1"/"0", 1/0, true/false."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return value == 1
    if isinstance(value, str):
        text = value.strip().casefold()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    raise ValueError("harus 1/0 atau true/false")


_NAMA_BULAN = (
    "januari",
    "februari",
    "maret",
    "april",
    "mei",
    "juni",
    "juli",
    "agustus",
    "september",
    "oktober",
    "november",
    "desember",
)
_BULAN = {name: number for number, name in enumerate(_NAMA_BULAN, start=1)}


def parse_month(value: object) -> int:
    """Read a month as a whole number ("1", " 12 ", 7) or an Indonesian month name.

    The range 1..12 is checked by the E-Planning model, not here, so a "13"
    reaches the report with the model's reason.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        text = value.strip()
        if len(text) <= 2 and text.isdigit() and text.isascii():  # [0-9]{1,2}
            return int(text)
        if text.casefold() in _BULAN:
            return _BULAN[text.casefold()]
    raise ValueError("bukan nomor bulan")


# A date and at least hours:minutes; fromisoformat() checks the rest.
_TIMESTAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}.*", _A)


def parse_wib(value: str) -> datetime:
    """Read a timestamp as an aware datetime in WIB.

    E-Program writes local WIB time with no zone ("2026-01-05 10:22:33"); an
    ISO 8601 string with an offset or "Z" is accepted too and converted to
    WIB. A date without a time is refused: a change time must say when.
    """
    text = value.strip()
    if not _TIMESTAMP.fullmatch(text):
        raise ValueError("bukan tanggal dan jam yang dikenal (contoh: 2026-01-05 10:22:33)")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError("bukan tanggal dan jam yang sah") from None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=WIB)
    return parsed.astimezone(WIB)
