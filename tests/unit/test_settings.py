"""Settings: production refuses development material."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from app.settings import Settings


def _production(**values):
    base = {
        "environment": "production",
        "database_url": "postgresql+asyncpg://svc@db/convention",
        "jwt_private_key_file": "/run/secrets/signing-key.pem",
        "moodle_url": "https://moodle.univ-tlse3.fr",
        "activation_url": "https://sesame.univ-tlse3.fr/activation",
    }
    return Settings(_env_file=None, **(base | values))  # type: ignore[call-arg]


def test_production_with_real_material_is_accepted():
    assert _production().environment == "production"


@pytest.mark.parametrize("unset", ["activation_url", "moodle_url"])
def test_r_acc_9a_production_refuses_to_start_without_either_link_of_the_creation_mail(unset):
    """R-ACC-9a: with ENVIRONMENT=production and ACTIVATION_URL or MOODLE_URL unset,
    start-up is refused, naming the variable."""
    with pytest.raises(ValidationError) as refused:
        _production(**{unset: None})
    assert unset.upper() in str(refused.value)


def test_r_acc_9a_outside_production_the_links_have_placeholders():
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.moodle_url and settings.activation_url


def test_production_refuses_the_development_signing_key():
    with pytest.raises(ValidationError):
        _production(jwt_private_key_file="var/keys/dev-signing-key.pem")


def test_production_refuses_sqlite():
    with pytest.raises(ValidationError):
        _production(database_url="sqlite+aiosqlite:///./var/convention.db")


def test_production_refuses_a_development_smtp_password():
    with pytest.raises(ValidationError):
        _production(smtp_password="dev-password")


def test_the_embedded_default_is_sqlite_under_var():
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.database_url == "sqlite+aiosqlite:///./var/convention.db"
    assert settings.jwt_lifetime_seconds == 900
    assert settings.clock_skew_seconds == 300


def test_env_example_lists_every_setting():
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / ".env.example").read_text()
    names = {line.split("=", 1)[0] for line in text.splitlines() if "=" in line
             and not line.startswith("#")}
    assert names == {name.upper() for name in Settings.model_fields}
