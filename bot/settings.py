"""The one typed settings object, read from the environment (prefix ``TERRAPRO_``).

Nothing else in the code base reads ``os.environ``: the composition root builds a
``Settings`` once and hands the values down.
"""
from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


INSECURE_LOCAL = "insecure-local"


def _default_data_dir() -> Path:
    return Path.home() / ".local" / "share" / "terrapro"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TERRAPRO_", extra="ignore")

    # Where the SQLite database and the cached NLU model live.
    data_dir: Path = Field(default_factory=_default_data_dir)
    # SQLAlchemy URL; empty means SQLite in data_dir.
    database_url: str = ""
    # Optional: hot conversation state, notifications and cross-worker locks.
    redis_url: str = ""
    # Threads running message turns off the event loop, one transaction each (0: on the loop).
    turn_workers: int = 4
    content_dir: Path = PROJECT_ROOT / "content"
    nlu_data_dir: Path = PROJECT_ROOT / "nlu_data"
    # Where the trained NLU model is cached; empty means <data_dir>/nlu-cache.
    nlu_cache_dir: Path | None = None
    # Below this intent confidence the bot asks the young person to rephrase.
    nlu_threshold: float = 0.45
    log_level: str = "WARNING"

    # Telegram channel: on when a token is set.
    telegram_token: str = ""
    telegram_base_url: str = "https://api.telegram.org/bot"
    telegram_webhook_secret: str = ""
    telegram_broadcast_rate: float = 25.0

    # WhatsApp Cloud API channel: on when token and phone number id are set.
    whatsapp_token: str = ""
    whatsapp_phone_number_id: str = ""
    whatsapp_api_base_url: str = "https://graph.facebook.com/v21.0"
    whatsapp_verify_token: str = ""
    whatsapp_app_secret: str = ""
    whatsapp_broadcast_template: str = ""
    # Messages per second for the number (replies first, then broadcasts); Cloud API allows ~80.
    whatsapp_send_rate: float = 50.0
    # Only the exact value "insecure-local" lets `terrapro serve` accept unsigned
    # WhatsApp webhooks, and only when bound to a loopback address.
    dev_mode: str = ""

    # Master secret for ids at rest and log tokens; empty: a key file in data_dir.
    secret_key: str = ""
    # Hand-off transcripts, unanswered questions and delivery rows older than this are purged.
    retention_days: int = Field(default=365, ge=1)

    handoff_renotify_minutes: int = 15
    # An urgent (distress) request nobody took is announced again this much sooner.
    handoff_urgent_renotify_minutes: int = 3

    # Public address of `terrapro serve`, for the console's set-password links.
    console_base_url: str = "http://127.0.0.1:8080"

    # Durable inbox: a message leased by a worker that died is handled again after this.
    inbox_lease_seconds: float = 30.0
    # Messages handled at once per process (different people; one person's stay in order).
    inbox_concurrency: int = 32
    # Past this many unhandled messages the webhooks answer 503 (the platforms retry).
    inbox_max_backlog: int = 20_000
    # Answers per person and minute before one « doucement » and silence.
    flood_limit_per_minute: int = 10

    @field_validator("data_dir", "content_dir", "nlu_data_dir", mode="after")
    @classmethod
    def _expand(cls, value: Path) -> Path:
        return value.expanduser()

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'terrapro.sqlite3'}"

    @property
    def effective_nlu_cache_dir(self) -> Path:
        return self.nlu_cache_dir or self.data_dir / "nlu-cache"

    @property
    def insecure_local_dev(self) -> bool:
        return self.dev_mode == INSECURE_LOCAL

    @property
    def telegram_enabled(self) -> bool:
        return bool(self.telegram_token)

    @property
    def whatsapp_enabled(self) -> bool:
        return bool(self.whatsapp_token and self.whatsapp_phone_number_id)
