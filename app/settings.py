"""Service settings, read from the environment (and `.env`) once, by the entrypoints.

Nothing imports an instance of this module at import time: `create_app(settings)` and
the CLI build one and pass it down. `.env.example` lists every variable with its default.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.domain.errors import InvalidInput

DEV_SECRET_PREFIX = "dev-"
DEV_MOODLE_URL = "https://moodle.univ-tlse3.fr"
DEV_ACTIVATION_URL = "https://activation.ut.example"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", env_prefix="")

    # Runtime
    environment: Literal["development", "test", "production"] = "development"
    database_url: str = "sqlite+aiosqlite:///./var/convention.db"
    database_pool_size: int = Field(10, ge=1, le=200)
    auto_migrate: bool = Field(
        True, description="Run `alembic upgrade head` at start-up (embedded mode)."
    )
    seed_on_start: bool = Field(True, description="Load the reference data at start-up.")
    run_scheduler: bool = Field(
        False, description="Run periodic jobs in-process (embedded mode)."
    )
    scheduler_tick_seconds: float = Field(
        30.0, gt=0, le=3600,
        description="In-process scheduler: seconds between two looks at what is due.",
    )
    log_level: str = "INFO"
    public_base_url: str = "http://127.0.0.1:8000"
    problem_base_url: str = "https://convention.ut.example/problems"

    # Tokens (RS256, DESIGN.md Security)
    jwt_issuer: str = "https://convention.ut.example"
    jwt_audience: str = "convention-api"
    jwt_private_key_file: Path = Path("var/keys/dev-signing-key.pem")
    jwt_previous_public_keys_file: Path | None = None
    jwt_lifetime_seconds: int = Field(900, ge=60, le=86400)
    jwt_leeway_seconds: int = Field(30, ge=0, le=300)
    external_issuer: str | None = None
    external_jwks_url: str | None = None
    token_rate_limit_per_minute: int = Field(
        10, ge=1, description="Failed token requests per (source address, client id) a "
        "minute before 429.",
    )
    token_address_failures_per_minute: int = Field(
        50, ge=1, description="Failed token requests per source address a minute (any "
        "client id) before 429.",
    )
    forwarded_allow_ips: str = Field(
        "127.0.0.1,::1", description="Proxies (addresses, networks, `*`) whose "
        "X-Forwarded-For names the source address; passed to uvicorn by "
        "`convention-api serve`.",
    )

    # E-mail
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    smtp_timeout_seconds: float = 10.0
    mail_from: str = "Plateforme Moodle UT <no-reply@univ-tlse3.fr>"
    outbox_max_attempts: int = Field(8, ge=1, le=50)
    outbox_backoff_base_seconds: int = Field(60, ge=1)
    outbox_lease_seconds: int = Field(120, ge=5)
    outbox_batch_size: int = Field(
        50, ge=1, le=1000, description="Messages one dispatcher leases at a time."
    )
    ut_accounts_email: str = "drhds.pole-etude@univ-tlse3.fr"
    daip_email: str = "daip.contact@univ-tlse3.fr"
    ut_finance_email: str = "agence-comptable@univ-tlse3.fr"
    storage_alert_cc_email: str | None = "daip.contact@univ-tlse3.fr"
    moodle_url: str | None = Field(
        None, description="R-ACC-9a: Moodle's address in mails (required in production)"
    )
    activation_url: str | None = Field(
        None, description="R-ACC-9a: UT's account activation page (required in production)"
    )

    # Request handling
    clock_skew_seconds: int = Field(300, ge=0, le=3600, description="R-TIME-5")
    idempotency_ttl_hours: int = Field(24, ge=1, le=24 * 30)
    # A claim in progress for longer belongs to a dead process: a retry takes it over.
    idempotency_lease_seconds: int = Field(30, ge=1, le=3600)
    max_body_bytes: int = 1024 * 1024
    max_batch_body_bytes: int = 5 * 1024 * 1024

    # Operations
    metrics_token: str | None = Field(
        None, description="When set (not empty), GET /metrics requires "
        "`Authorization: Bearer <token>`.",
    )

    # Decisions of RULES.md (each a setting with the documented default)
    closures_count_for_all_deadlines: bool = Field(True, description="R-TIME-3")
    size_unit: Literal["SI", "IEC"] = Field("SI", description="R-UNIT-1: 41 GB or 41 GiB")
    pool_alerts: bool = Field(True, description="R-STO-1 pool alerts at 90 % / 100 %")
    warning_ratio_percent: int = Field(90, ge=1, le=99, description="R-STO-2")
    hysteresis_bytes: int = Field(1_000_000_000, ge=0, description="R-STO-2")
    critical_reminder_days: int = Field(7, ge=1, description="R-STO-2")
    retrieval_reminder_days: str = Field("90,30", description="R-STO-4")
    renewal_season_starts: str = Field("06-01", description="R-ACC-3 (MM-DD)")
    referent_answer_deadline: str = Field("06-30", description="R-ACC-5 (MM-DD)")
    trainer_answer_deadline: str = Field("06-25", description="R-ACC-5 (MM-DD)")
    termination_access_end: Literal["end_of_academic_year", "notice_year"] = Field(
        "end_of_academic_year",
        description="R-CONV-4: 31 Aug of the year of the effective date, or of the letter's "
        "reception (never before the effective date)",
    )
    student_grace: bool = Field(True, description="R-ACC-7 grace for continuing students")
    support_deadline_reading: Literal["two_opening_days", "literal_48_hours"] = Field(
        "two_opening_days", description="R-SUP-1"
    )
    support_at_risk_ratio: float = Field(0.25, gt=0, lt=1)
    census_on_main_close: bool = Field(True, description="R-BIL-1")
    retention_inactive_months: int = Field(12, ge=1, description="R-GDPR-1")
    retention_support_months: int = Field(24, ge=1, description="R-GDPR-1")
    retention_closed_request_months: int = Field(
        12, ge=1, description="R-GDPR-1a: rejected or cancelled account requests"
    )

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @model_validator(mode="after")
    def _production_refuses_dev_material(self) -> Settings:
        if self.environment == "production":
            missing = [name.upper() for name in ("activation_url", "moodle_url")
                       if not getattr(self, name)]
            if missing:
                raise ValueError(
                    f"production needs {' and '.join(missing)}: the account-creation mail "
                    "carries both links (R-ACC-9a)"
                )
            key = str(self.jwt_private_key_file)
            if "dev-" in Path(key).name or key.startswith("var/"):
                raise ValueError(
                    "production refuses a development signing key: set JWT_PRIVATE_KEY_FILE"
                )
            if self.smtp_password and self.smtp_password.startswith(DEV_SECRET_PREFIX):
                raise ValueError("production refuses a development SMTP password")
            if self.is_sqlite:
                raise ValueError("production needs PostgreSQL (DATABASE_URL)")
        return self

    @model_validator(mode="after")
    def _development_links(self) -> Settings:
        """Outside production, mails carry placeholder links when none is set."""
        if self.environment != "production":
            self.moodle_url = self.moodle_url or DEV_MOODLE_URL
            self.activation_url = self.activation_url or DEV_ACTIVATION_URL
        return self


def load_settings() -> Settings:
    """The settings from the environment (and `.env`), read once by the entrypoints. A
    malformed value refuses the start with `invalid-setting`, naming the variables (the
    values are not repeated: one may be a secret)."""
    try:
        return Settings()
    except ValidationError as exc:
        # A field's error names the variable; a rule across fields (production) says
        # which variables it needs in its own words, never with their values.
        reasons = sorted({str(e["loc"][0]).upper() if e.get("loc") else e["msg"]
                          for e in exc.errors()})
        raise InvalidInput("invalid setting: " + "; ".join(reasons),
                           code="invalid-setting") from None
