"""Mail templates, Message-IDs, backoff and failure classification."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jinja2
import pytest

from app.domain.redaction import without_addresses
from app.ports.outbox import DeliveryError, OutboxMessage
from app.services.mail import (
    OutboxPolicy,
    _settlement,
    _templates,
    message_id_for,
    render,
)

NOW = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


def message(attempts: int = 0) -> OutboxMessage:
    return OutboxMessage(
        id=1, dedupe_key="k", message_id=message_id_for("k"), template="smtp-test",
        recipients=("a@example.org",), cc=(), subject="s", body_text="t", body_html="h",
        status="pending" if attempts == 0 else "retrying", attempts=attempts,
        next_attempt_at=NOW, created_at=NOW, sent_at=None, last_error=None,
    )


def test_the_test_mail_renders_in_french_as_text_and_html():
    rendered = render("smtp-test", {"requested_at": NOW})
    assert rendered.subject == (
        "Message de test de la plateforme Moodle de l’Université de Toulouse"
    )
    assert "Bonjour," in rendered.text
    assert "3 mars 2025 à 10 h 00" in rendered.text  # 09:00 UTC is 10:00 in Paris
    assert "merci de ne pas y répondre" in rendered.text
    assert rendered.html.startswith("<!DOCTYPE html>")
    assert '<html lang="fr">' in rendered.html
    assert "3 mars 2025 à 10 h 00" in rendered.html


def test_html_templates_are_autoescaped_and_text_templates_are_not():
    environment = _templates()
    assert environment.autoescape("anything.html.j2") is True
    assert environment.autoescape("anything.txt.j2") is False
    assert environment.autoescape("anything.subject.j2") is False


def test_a_missing_template_variable_is_an_error_not_an_empty_string():
    with pytest.raises(jinja2.UndefinedError):
        render("smtp-test", {})


@pytest.mark.parametrize("name", ["../settings", "smtp-test.txt", "Smtp", "", "a/b"])
def test_template_names_are_plain_kebab_names(name):
    with pytest.raises(ValueError):
        render(name, {"requested_at": NOW})


def test_the_message_id_is_stable_per_dedupe_key_and_reveals_nothing():
    first = message_id_for("account-created:abc1234d")
    assert first == message_id_for("account-created:abc1234d")
    assert first != message_id_for("account-created:abc1234e")
    assert first.startswith("<") and first.endswith(">") and first.count("@") == 1
    assert "abc1234d" not in first


def test_backoff_doubles_from_the_base_and_is_capped_at_a_day():
    policy = OutboxPolicy(backoff_base=timedelta(seconds=60))
    assert [policy.backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [60, 120, 240, 480]
    assert policy.backoff(40) == timedelta(hours=24)


def test_a_temporary_failure_is_retried_after_the_backoff():
    policy = OutboxPolicy(max_attempts=3, backoff_base=timedelta(seconds=60))
    failure = DeliveryError("451 try later", permanent=False)
    settled = _settlement(message(attempts=1), policy, now=NOW, failure=failure)
    assert (settled.status, settled.outcome) == ("retrying", "retry")
    assert settled.next_attempt_at == NOW + timedelta(seconds=120)


def test_the_last_allowed_temporary_failure_is_dead():
    policy = OutboxPolicy(max_attempts=3)
    failure = DeliveryError("451 try later", permanent=False)
    settled = _settlement(message(attempts=2), policy, now=NOW, failure=failure)
    assert settled.status == "dead"
    assert settled.detail == "gave up after 3 attempts: 451 try later"


def test_a_permanent_failure_is_dead_at_the_first_attempt():
    failure = DeliveryError("550 no such user", permanent=True)
    settled = _settlement(message(), OutboxPolicy(), now=NOW, failure=failure)
    assert (settled.status, settled.detail) == ("dead", "550 no such user")


def test_error_texts_lose_their_addresses_and_line_breaks():
    text = "550 5.1.1 <jean.dupont@ifsi.example>:\r\n recipient rejected"
    assert without_addresses(text) == "550 5.1.1 <<address>>: recipient rejected"
    assert len(without_addresses("x" * 5000, 100)) == 100
