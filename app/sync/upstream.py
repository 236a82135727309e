"""What to tell an admin when E-Program or E-Planning fails a run: in Bahasa
Indonesia, naming the system, its address and what to check.

The failed request and the library's own words follow, marked as technical
detail, for whoever reads the log.
"""

from __future__ import annotations

from typing import Literal

from connectors.http import AuthError, ConnectorError, PermanentError, TransientError

System = Literal["eprogram", "eplanning"]

NAMES: dict[System, str] = {"eprogram": "E-Program", "eplanning": "E-Planning"}
_URL_SETTING: dict[System, str] = {
    "eprogram": "SINKRON_EPROGRAM_URL",
    "eplanning": "SINKRON_EPLANNING_URL",
}
_CREDENTIAL: dict[System, str] = {
    "eprogram": "SINKRON_EPROGRAM_API_KEY",
    "eplanning": "SINKRON_EPLANNING_TOKEN",
}
_RESUMES = "run berikutnya melanjutkan dari checkpoint"


class UpstreamUnavailable(Exception):
    """E-Program or E-Planning kept failing: the run stops as failed (docs/design.md, promise 8)."""

    def __init__(self, system: System, message: str) -> None:
        super().__init__(message)
        self.system = system


def explain(system: System, url: str, exc: ConnectorError) -> str:
    """One sentence or two an admin can act on, then the failed request for the log reader."""
    return f"{_explain(system, url, exc)} (rincian teknis: {exc.request}: {exc.reason})"


def _explain(system: System, url: str, exc: ConnectorError) -> str:
    name = NAMES[system]
    where = f"{name} di {url}"
    if isinstance(exc, AuthError):
        return (
            f"{where} menolak kredensial Sinkron (HTTP {exc.status_code}); "
            f"periksa {_CREDENTIAL[system]}"
        )
    if isinstance(exc, TransientError):
        status = exc.status_code
        if status is None:
            what = "tidak dapat dihubungi (koneksi gagal, terputus atau waktu habis)"
        elif status == 429:
            what = "terus membatasi permintaan (HTTP 429)"
        elif status >= 500:
            what = f"terus menjawab galat HTTP {status}"
        else:
            what = f"mengirim jawaban yang tidak terbaca (HTTP {status})"
        return (
            f"{where} {what} setelah dicoba ulang. Periksa apakah layanan {name} berjalan "
            f"dan dapat dijangkau dari server Sinkron, dan alamat di {_URL_SETTING[system]}; "
            f"{_RESUMES}"
        )
    if isinstance(exc, PermanentError):
        return (
            f"{where} menolak permintaan Sinkron (HTTP {exc.status_code}); periksa alamat di "
            f"{_URL_SETTING[system]} dan versi API {name}"
        )
    return f"permintaan ke {where} tidak dapat dikirim; periksa alamat di {_URL_SETTING[system]}"


def outage(system: System, url: str, exc: ConnectorError, *, batches: int) -> str:
    """E-Planning failed ``batches`` pushes in a row."""
    name = NAMES[system]
    return (
        f"{name} di {url} gagal menerima {batches} kiriman berturut-turut setelah dicoba ulang "
        f"({_short(exc)}); run dihentikan. Periksa apakah layanan {name} berjalan dan dapat "
        f"dijangkau dari server Sinkron; {_RESUMES} dan mengirim ulang data yang belum tercatat"
    )


def _short(exc: ConnectorError) -> str:
    if isinstance(exc, TransientError) and exc.status_code is not None:
        return f"jawaban terakhir HTTP {exc.status_code}"
    return "tidak ada jawaban"
