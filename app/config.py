"""Settings, read once from the environment (prefix ``SINKRON_``) or an optional ``.env``."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field, HttpUrl, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Values that people copy from examples and forget to change. A service that
# starts with one of them talks to production with a key everybody knows.
PLACEHOLDER_SECRETS = frozenset(
    {"", "changeme", "change-me", "changethis", "secret", "xxx", "todo"}
)

ConflictPolicy = Literal["manual", "source_wins"]


class ConfigError(Exception):
    """A setting is missing or unusable; the message names the variable."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SINKRON_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    database_url: str = "sqlite:///sinkron.db"

    eprogram_url: str = "http://127.0.0.1:8101"
    eprogram_api_key: SecretStr | None = None
    eplanning_url: str = "http://127.0.0.1:8102"
    eplanning_token: SecretStr | None = None
    # The user E-Planning records as `diperbarui_oleh` for our token. A record
    # last written by anyone else was edited by hand (docs/design.md, promise 6).
    eplanning_user: str = "integrasi-eprogram"

    conflict_policy: ConflictPolicy = "manual"
    jenis_pemda: Literal["KABKOT", "PROV"] = "KABKOT"
    # The pemda's name, as the title of the planners' reports shows it.
    pemda: str = "Kabupaten Kepulauan Meranti"

    # Records per E-Program page: the contract's largest, so a run makes as few
    # of its ~10 requests a second as it can.
    page_size: int = Field(default=1000, ge=1, le=1000)
    push_batch_size: int = Field(default=200, ge=1, le=200)
    http_timeout_seconds: float = Field(default=30.0, gt=0)
    retry_max_attempts: int = Field(default=6, ge=1, le=20)
    retry_initial_wait: float = Field(default=0.5, ge=0)
    retry_max_wait: float = Field(default=30.0, ge=0)
    # Sinkron's own request budget per API, within the contracts' rate limits
    # (E-Program about 10/s per key, E-Planning about 20/s per token), so it
    # does not run into 429s and back off. 0 sends unpaced.
    eprogram_requests_per_second: float = Field(default=10.0, ge=0)
    eplanning_requests_per_second: float = Field(default=20.0, ge=0)
    # Batches of one page sent to E-Planning at once (each up to 200 writes).
    eplanning_batches_in_flight: int = Field(default=4, ge=1, le=16)
    # Pushes to E-Planning that fail in a row (each after its retries) before the
    # run stops as failed: an outage, not a pile of dead letters (docs/design.md, promise 8).
    outage_batches: int = Field(default=3, ge=1, le=100)
    # The guard (app/sync/guard.py): an OPD whose plan switches off more than
    # this share of its records, or changes more than that share, is held for
    # an admin; an OPD with fewer records than the minimum is not guarded.
    ambang_nonaktif_persen: float = Field(default=10.0, ge=0, le=100)
    ambang_ubah_persen: float = Field(default=50.0, ge=0, le=100)
    ambang_min_data: int = Field(default=20, ge=0)
    # Hours a preview's or a held run's plan may still be approved.
    pratinjau_berlaku_jam: float = Field(default=24.0, gt=0, le=24 * 30)

    # The service: nightly schedule (cron, WIB) over these scopes, e.g. "2026:renja,2026:apbd".
    schedule: str = "0 1 * * *"
    sync_scopes: str = ""
    lease_ttl_seconds: float = Field(default=120.0, gt=0)
    worker_poll_seconds: float = Field(default=5.0, gt=0)
    # The worker process's niceness: on a host that other work also keeps busy,
    # the API's answers get the CPU first, a run what they leave
    # (docs/design.md, "Processes"). Off by default: two processes on two cores.
    worker_nice: int = Field(default=0, ge=0, le=19)
    log_level: str = "INFO"
    # Days a finding may stay untouched (baru, no decision) before its OPD is
    # "belum menindaklanjuti" (docs/design.md, "Tindak lanjut").
    tindak_lanjut_hari: int = Field(default=14, ge=1, le=365)

    # Abuse limits of the REST API (docs/design.md, promise 9).
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    # Requests per minute per API key and per client address, on every route;
    # POST routes (triggers, replays, decisions) also count against the second,
    # stricter limit. In-process buckets: each replica counts on its own.
    rate_limit_per_minute: int = Field(default=300, ge=1)
    rate_limit_post_per_minute: int = Field(default=20, ge=1)
    # Addresses of reverse proxies whose X-Forwarded-For is believed, comma
    # separated; none by default, so the peer address is what is logged.
    trusted_proxies: str = ""
    # Denials from one address within this many seconds are one audit row with a count.
    audit_fold_seconds: float = Field(default=60.0, ge=0)
    # Report files being made at once per API key and per client address; each
    # holds a worker thread and a core while it runs.
    export_concurrent: int = Field(default=2, ge=1, le=50)

    @property
    def trusted_proxy_set(self) -> frozenset[str]:
        return frozenset(p.strip() for p in self.trusted_proxies.split(",") if p.strip())

    # The report pages (/laporan): how long a sign-in lasts, and whether the
    # session cookie is sent over HTTPS only (set it behind a TLS proxy).
    laporan_session_hours: float = Field(default=8.0, gt=0, le=168)
    laporan_cookie_secure: bool = False
    # The address people reach the service at (e.g. https://sinkron.example.go.id),
    # as a proxy in front of it serves it. Redirects are built from it when set
    # (relative otherwise, never from the request's Host header), and so are the
    # links the service sends out.
    base_url: HttpUrl | None = None

    @field_validator("base_url", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        if not value.strip():
            return None
        if not value.strip().lower().startswith(("http://", "https://")):
            raise ValueError("harus alamat http:// atau https://, mis. https://sinkron.pemda.go.id")
        return value.strip()

    @field_validator("base_url")
    @classmethod
    def _bare_address(cls, value: HttpUrl | None) -> HttpUrl | None:
        if value is not None and (value.query or value.fragment):
            raise ValueError("alamat dasar tanpa ?query atau #fragmen")
        return value

    @property
    def base_url_text(self) -> str | None:
        """The base URL without a trailing slash, ready for a path to follow."""
        return str(self.base_url).rstrip("/") if self.base_url is not None else None

    # Wrong keys typed into the sign-in form from one address: this many, then
    # one more each (window / failures) seconds; beyond, 429 (guessing a key
    # takes forever). In-process, like the rate limits.
    laporan_sign_in_failures: int = Field(default=5, ge=1, le=1000)
    laporan_sign_in_window_seconds: float = Field(default=300.0, gt=0, le=86_400)

    # Digests (app/digests): each OPD told what waits for it, the pemda a weekly
    # summary. Sent by SMTP when SINKRON_SMTP_HOST is set, and as JSON to the
    # webhook when SINKRON_WEBHOOK_URL is; the weekly one by this cron (WIB).
    smtp_host: str = ""
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_user: str = ""
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = True
    smtp_from: str = "Sinkron <sinkron@localhost>"
    webhook_url: str = ""
    digest_schedule: str = "0 7 * * 1"

    @field_validator("webhook_url")
    @classmethod
    def _webhook_address(cls, value: str) -> str:
        value = value.strip()
        if value and not value.lower().startswith(("http://", "https://")):
            raise ValueError(
                "harus alamat http:// atau https://, mis. https://wa.pemda.go.id/kirim"
            )
        return value

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if not value.startswith(("sqlite", "postgresql")):
            raise ValueError("hanya sqlite:/// atau postgresql+psycopg:// yang didukung")
        return value

    def secret(self, name: Literal["eprogram_api_key", "eplanning_token"]) -> str:
        """The secret's value, or a ConfigError naming the variable to set."""
        value: SecretStr | None = getattr(self, name)
        variable = f"SINKRON_{name.upper()}"
        if value is None:
            raise ConfigError(f"{variable} belum diisi: setel variabel lingkungan ini atau .env")
        raw = value.get_secret_value().strip()
        if raw.lower() in PLACEHOLDER_SECRETS:
            raise ConfigError(
                f"{variable} masih berisi nilai contoh; isi dengan kunci yang sebenarnya"
            )
        return raw

    def require_secrets(self) -> None:
        """Fail at start-up, not at 01:00 WIB, when a secret is missing."""
        self.secret("eprogram_api_key")
        self.secret("eplanning_token")


@lru_cache
def get_settings() -> Settings:
    return Settings()
