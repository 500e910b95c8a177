"""The service's one settings object: ``TAKEDOWN_*`` environment variables, then flags.

Precedence: defaults < environment < command line (the CLI passes flags as overrides
and exports them so ``--workers N`` processes read the same values).
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything the app factory needs; frozen once built."""

    model_config = SettingsConfigDict(env_prefix="TAKEDOWN_", frozen=True, extra="ignore")

    db: str = Field(
        default="sqlite:///takedown.db", description="sqlite:///path or postgresql://..."
    )
    rate_limit: float = Field(
        default=200.0, ge=0, description="requests per second per key; 0 = off"
    )
    rate_burst: float = Field(default=0.0, ge=0, description="bucket size; 0 = twice the rate")
    anon_rate_limit: float = Field(
        default=1000.0, ge=0, description="requests per second per client address without a key"
    )
    key_refresh_s: float = Field(
        default=0.5, gt=0, le=1.0, description="how often a process checks for key changes"
    )
    misuse_min_decided: int = Field(
        default=5, ge=1, description="decided notices before a notifier's record is judged"
    )
    misuse_unfounded_share: float = Field(
        default=0.5, gt=0, le=1, description="manifestly unfounded share that warns, then suspends"
    )
    misuse_window_s: float = Field(
        default=30 * 86400.0, gt=0, description="window of the misuse record"
    )
    seller_strikes: int = Field(
        default=0, ge=0, description="removals that stood before a seller is warned; 0 = off"
    )
    suspension_s: float = Field(
        default=14 * 86400.0, gt=0, description="how long a suspension lasts"
    )
    log_level: str = Field(
        default="info", pattern="^(debug|info|warning|error)$", description="log level"
    )
    access_log: bool = Field(default=True, description="one JSON line per request at info")
    base_url: str = Field(
        default="https://marketplace.example", description="where listings live (for URLs)"
    )
    max_body_bytes: int = Field(default=256 * 1024, ge=1024, description="larger bodies answer 413")
    lease_s: float = Field(default=300.0, gt=0, description="how long a review claim holds an item")
    idempotency_ttl_h: float = Field(
        default=48.0, ge=24, description="how long Idempotency-Keys last"
    )
    batch_max: int = Field(
        default=256, ge=1, description="most writes committed in one transaction"
    )
    verdict_ttl_s: float = Field(
        default=10.0, ge=0, description="how long a good-faith verdict is reused"
    )
    read_pool: int = Field(default=8, ge=1, description="read connections per process")

    @property
    def burst(self) -> float:
        """Token-bucket capacity."""
        return self.rate_burst or 2.0 * self.rate_limit


def env_for(settings: Settings) -> dict[str, str]:
    """The settings as ``TAKEDOWN_*`` variables, for worker processes."""
    data = settings.model_dump()
    return {f"TAKEDOWN_{k.upper()}": str(v) for k, v in data.items()}
