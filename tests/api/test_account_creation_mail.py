"""R-ACC-9a: the account-creation mail states the validity the API answers when it is
queued (capped by the access end in force that day) and carries the activation and
Moodle links of the settings."""

from __future__ import annotations

import pytest

from tests.api.accounts_helpers import hosted_account
from tests.api.storage_helpers import queued


@pytest.fixture
def settings_overrides():
    return {"moodle_url": "https://moodle.test.example",
            "activation_url": "https://activation.test.example/compte"}


async def _created(app, client, admin_headers, clock, *, received_at, fulfilled_at):
    done = await hosted_account(client, admin_headers, clock, kind="trainer",
                                received_at=received_at, fulfilled_at=fulfilled_at)
    account = (await client.get(f"/api/v1/accounts/{done['uid']}",
                                headers=admin_headers)).json()
    [mail] = [m for m in await queued(app, "account-created") if done["uid"] in m.body_text]
    return account["roles"], mail


async def test_r_acc_9a_a_creation_on_2029_06_10_is_told_the_convention_end_not_2030(
    app, client, admin_headers, clock
):
    """R-ACC-9a: created in the renewal season of the last year, the role runs to
    2030-08-31 (R-ACC-3) but the API answers 2029-08-31 (R-CONV-5), and so does the mail."""
    [role], mail = await _created(app, client, admin_headers, clock,
                                  received_at="2029-06-08T10:00:00+02:00",
                                  fulfilled_at="2029-06-10T10:00:00+02:00")
    assert (role["valid_from"], role["valid_until"]) == ("2029-06-10", "2029-08-31")
    assert "du 10 juin 2029 au 31 août 2029" in mail.body_text
    assert "2030" not in mail.body_text
    assert "du 10 juin 2029 au 31 août 2029" in mail.body_html


async def test_r_acc_9a_a_pending_termination_caps_the_validity_the_mail_states(
    app, client, admin_headers, clock
):
    """R-ACC-9a with R-CONV-4: notice received 2026-11-30, effective 2027-02-28, access
    end 2027-08-31; a creation on 2026-12-01 (not in the renewal season) is valid to
    2027-08-31 either way, one on 2027-02-27 (still before the effective date) too."""
    clock.set("2026-11-30T10:00:00Z")
    notice = await client.post("/api/v1/convention/termination-notices", headers=admin_headers,
                               json={"notifying_party": "region", "defaulting_party": "ut",
                                     "grounds": "inexécution", "letter_ref": "LRAR-9",
                                     "received_on": "2026-11-30"})
    assert notice.status_code == 201, notice.text
    [role], mail = await _created(app, client, admin_headers, clock,
                                  received_at="2027-02-26T10:00:00+01:00",
                                  fulfilled_at="2027-02-27T23:30:00+01:00")
    assert (role["valid_from"], role["valid_until"]) == ("2027-02-27", "2027-08-31")
    assert "du 27 février 2027 au 31 août 2027" in mail.body_text


async def test_r_acc_9a_the_mail_carries_the_activation_and_moodle_links(
    app, client, admin_headers, clock
):
    _, mail = await _created(app, client, admin_headers, clock,
                             received_at="2025-02-28T10:00:00+01:00",
                             fulfilled_at="2025-03-03T10:00:00+01:00")
    for body in (mail.body_text, mail.body_html):
        assert "https://activation.test.example/compte" in body
        assert "https://moodle.test.example" in body
    assert "du 3 mars 2025 au 31 août 2025" in mail.body_text
