"""Each R-OBL rule walks one obligation through its states on fixed dates (RULES.md,
Obligations register), with the section's worked examples."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.domain.calendar import AcademicYear, Closure, WorkingCalendar
from app.domain.obligations import Evidence, ObligationState, Waiver, obligation_state
from app.domain.obligations.breaches import BreachFacts, breach_notice_obligations
from app.domain.obligations.campaigns import (
    CampaignListFacts,
    ReferentSpan,
    RenewalAnswerFacts,
    campaign_list_obligation,
    referent_gap_day,
    referent_minimum_obligation,
    renewal_answer_obligation,
)
from app.domain.obligations.model import listed_at, sort_key
from app.domain.obligations.requests import (
    AccountRequestFacts,
    RestorationFacts,
    SupportFacts,
    TrainingFacts,
    account_creation_obligation,
    at_risk_on,
    referent_training_obligation,
    restoration_obligation,
    support_answer_obligation,
)
from app.domain.obligations.storage import (
    CriticalSpellFacts,
    LevelRiseFacts,
    critical_cleanup_obligation,
    retrieval_obligation,
    storage_alert_obligation,
)
from app.domain.obligations.termination import after_termination
from app.domain.obligations.yearly import (
    StatementFacts,
    needs_statement_obligation,
    recap_obligation,
    storage_review_obligation,
    students_information_obligation,
    subsidy_payment_obligation,
)
from app.domain.opening_hours import OpeningHoursClock, response_due_at

PARIS = ZoneInfo("Europe/Paris")
S = ObligationState


def paris(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=PARIS)


def noon(d: date) -> datetime:
    return datetime(d.year, d.month, d.day, 12, tzinfo=PARIS)


def states(obligation, days, **kwargs):
    return [obligation_state(obligation, noon(d), **kwargs) for d in days]


def evidence_on(occurred) -> Evidence:
    return Evidence(occurred=occurred, document_ref="PV-1", note=None,
                    recorded_at=datetime(2020, 1, 1, tzinfo=UTC), recorded_by="ut")


def test_worked_example_due_date_is_due_soon_a_week_ahead_and_a_fact_at_paris_midnight_is_late():
    facts = CampaignListFacts(2026, "ifms-rodez", "trainer", paris(2026, 6, 26, 0, 0), True)
    listing = campaign_list_obligation(facts)
    assert listing is not None and listing.due == date(2026, 6, 25)

    assert states(listing, [date(2026, 6, 17), date(2026, 6, 18), date(2026, 6, 25),
                            date(2026, 6, 26)]) == [S.upcoming, S.due_soon, S.due_soon, S.met_late]
    assert obligation_state(listing, datetime(2026, 6, 25, 21, 59, tzinfo=UTC)) is S.due_soon
    assert obligation_state(listing, datetime(2026, 6, 25, 22, 0, tzinfo=UTC)) is S.met_late


def test_r_obl_1_account_created_within_its_due_then_void_when_another_is_cancelled():
    received = paris(2026, 2, 27, 9)
    fulfilled = AccountRequestFacts("r1", "ifms-albi", "referent", 2025, received,
                                    date(2026, 3, 16), "fulfilled",
                                    paris(2026, 3, 16, 23, 59), None)
    cancelled = AccountRequestFacts("r2", "ifms-albi", "trainer", 2025, received,
                                    date(2026, 3, 16), "cancelled", None, paris(2026, 3, 20, 9))
    created = account_creation_obligation(fulfilled)
    withdrawn = account_creation_obligation(cancelled)

    assert created.id == "R-OBL-1:account-request:r1"
    assert states(created, [date(2026, 3, 1), date(2026, 3, 9), date(2026, 3, 17)]) == [
        S.upcoming, S.due_soon, S.met]
    assert states(withdrawn, [date(2026, 3, 16), date(2026, 3, 17), date(2026, 3, 20)]) == [
        S.due_soon, S.overdue, S.void]


def test_r_obl_2_training_proposed_after_its_due_is_met_late():
    training = referent_training_obligation(
        TrainingFacts("t1", "ifms-rodez", paris(2026, 2, 1, 10), date(2026, 3, 2),
                      date(2026, 3, 3)))

    assert states(training, [date(2026, 2, 20), date(2026, 3, 2), date(2026, 3, 3)]) == [
        S.upcoming, S.due_soon, S.met_late]
    unproposed = referent_training_obligation(
        TrainingFacts("t2", "ifms-rodez", paris(2026, 2, 1, 10), date(2026, 3, 2), None))
    assert obligation_state(unproposed, paris(2026, 3, 2, 23, 59)) is S.due_soon
    assert obligation_state(unproposed, paris(2026, 3, 3, 0, 0)) is S.overdue


def test_r_obl_3_worked_example_support_answer_across_the_dst_change():
    clock = OpeningHoursClock(WorkingCalendar())
    received = paris(2026, 3, 26, 10, 30)
    due = response_due_at(received, clock)
    assert due == paris(2026, 3, 30, 10, 30)  # CET in, CEST out
    at_risk = at_risk_on(clock, 4 * 3600 + 1800)  # a quarter of 18 opening hours
    answered = support_answer_obligation(
        SupportFacts("s1", "ifms-rodez", received, due, due, None), at_risk)
    unanswered = support_answer_obligation(
        SupportFacts("s2", None, received, due, None, None), at_risk)

    assert obligation_state(answered, due) is S.met
    assert obligation_state(unanswered, paris(2026, 3, 27, 12)) is S.upcoming
    assert obligation_state(unanswered, paris(2026, 3, 27, 17, 0)) is S.due_soon
    assert obligation_state(unanswered, paris(2026, 3, 28, 12)) is S.due_soon  # weekend
    assert obligation_state(unanswered, due) is S.due_soon
    assert obligation_state(unanswered, due + timedelta(microseconds=1)) is S.overdue
    closed = support_answer_obligation(
        SupportFacts("s3", None, received, due, None, paris(2026, 3, 31, 9)), at_risk)
    assert obligation_state(closed, paris(2026, 3, 31, 9)) is S.void


def test_r_obl_4_a_school_without_referent_to_write_to_is_met_by_evidence():
    facts = CampaignListFacts(2026, "ifms-rodez", "referent", None, False)
    listing = campaign_list_obligation(facts)

    assert listing is not None and listing.due == date(2026, 6, 30)
    assert listing.listed_from == date(2025, 9, 1)
    assert obligation_state(listing, noon(date(2026, 7, 1))) is S.overdue
    assert obligation_state(listing, noon(date(2026, 7, 2)),
                            evidence=evidence_on(date(2026, 7, 1))) is S.met_late
    assert campaign_list_obligation(CampaignListFacts(2024, "x", "referent", None, True)) is None


def test_r_obl_5_renewal_answer_is_void_after_the_deadline_never_overdue():
    missed = renewal_answer_obligation(
        RenewalAnswerFacts(2026, "ifms-rodez", "referent", date(2026, 6, 30),
                           paris(2026, 6, 1, 8), None))
    saved = renewal_answer_obligation(
        RenewalAnswerFacts(2026, "ifms-rodez", "trainer", date(2026, 6, 25),
                           paris(2026, 6, 1, 8), paris(2026, 6, 2, 9)))

    assert states(missed, [date(2026, 6, 22), date(2026, 6, 23), date(2026, 6, 30),
                           date(2026, 7, 1)]) == [S.upcoming, S.due_soon, S.due_soon, S.void]
    assert states(saved, [date(2026, 6, 1), date(2026, 6, 2)]) == [S.upcoming, S.met]


def test_r_obl_6_worked_example_gap_on_1_september_is_due_on_the_16th():
    year = AcademicYear(2026)
    gap = referent_gap_day(year, [ReferentSpan(date(2025, 9, 1), date(2026, 8, 31))],
                           beneficiary_from=None)
    assert gap == date(2026, 9, 1)
    minimum = referent_minimum_obligation("ifms-rodez", year, gap, WorkingCalendar(),
                                          [paris(2026, 9, 17, 11)])

    assert minimum.due == date(2026, 9, 16)
    assert not listed_at(minimum, paris(2026, 8, 31, 12))
    assert states(minimum, [date(2026, 9, 1), date(2026, 9, 9), date(2026, 9, 17)]) == [
        S.upcoming, S.due_soon, S.met_late]
    assert referent_gap_day(year, [ReferentSpan(date(2026, 9, 1), date(2027, 8, 31))],
                            beneficiary_from=None) is None
    assert referent_gap_day(year, [ReferentSpan(date(2026, 9, 1), date(2027, 2, 28))],
                            beneficiary_from=None) == date(2027, 3, 1)
    assert referent_gap_day(year, [], beneficiary_from=date(2027, 1, 15)) == date(2027, 1, 15)


def test_r_obl_6_due_moves_over_a_closure_to_the_next_working_day():
    calendar = WorkingCalendar([Closure(date(2026, 12, 21), date(2027, 1, 4))])
    minimum = referent_minimum_obligation("ifms-rodez", AcademicYear(2026), date(2026, 12, 17),
                                          calendar, [])
    assert minimum.due == date(2027, 1, 5)


def test_r_obl_7_alert_due_the_day_of_the_raising_snapshot():
    rise = storage_alert_obligation(LevelRiseFacts("41", "ifms-rodez", "warning",
                                                   paris(2026, 2, 28, 23, 30), None))
    sent = storage_alert_obligation(LevelRiseFacts("42", "ifms-rodez", "critical",
                                                   paris(2026, 2, 28, 23, 30),
                                                   paris(2026, 3, 1, 0, 1)))

    assert rise.due == date(2026, 2, 28)
    assert states(rise, [date(2026, 2, 28), date(2026, 3, 1)]) == [S.due_soon, S.overdue]
    assert obligation_state(sent, paris(2026, 3, 1, 0, 1)) is S.met_late


def test_r_obl_8_cleanup_is_open_until_critical_clears():
    spell = critical_cleanup_obligation(CriticalSpellFacts("43", "ifms-rodez",
                                                           paris(2026, 1, 5, 9),
                                                           paris(2026, 4, 1, 9)))
    assert states(spell, [date(2026, 1, 5), date(2026, 3, 31), date(2026, 4, 1)]) == [
        S.open, S.open, S.met]
    assert sort_key(spell) > sort_key(storage_alert_obligation(
        LevelRiseFacts("1", "x", "critical", paris(2029, 1, 1, 9), None)))


def test_r_obl_9_retrieval_at_the_initial_access_end_is_listed_from_its_last_year():
    retrieval = retrieval_obligation("ifms-rodez", date(2029, 8, 31))

    assert retrieval.listed_from == date(2028, 9, 1)
    assert states(retrieval, [date(2029, 8, 23), date(2029, 8, 24), date(2029, 9, 1)]) == [
        S.upcoming, S.due_soon, S.overdue]
    assert obligation_state(retrieval, noon(date(2029, 8, 30)),
                            evidence=evidence_on(paris(2029, 8, 30, 9))) is S.met


def test_r_obl_10_recap_met_when_first_issued():
    recap = recap_obligation(2025, date(2026, 7, 16))
    assert recap is not None and recap.due == date(2026, 7, 15)
    assert states(recap, [date(2026, 7, 7), date(2026, 7, 8), date(2026, 7, 16)]) == [
        S.upcoming, S.due_soon, S.met_late]
    assert recap_obligation(2023, None) is None  # due 2024-07-15: before 2024-09-01


def test_r_obl_11_worked_example_payment_due_30_days_after_the_first_issue():
    facts = StatementFacts(2025, "st1", date(2026, 7, 10), 100_00, None,
                           ((date(2026, 8, 1), 40_00), (date(2026, 8, 12), 60_00)))
    payment = subsidy_payment_obligation(facts)
    assert payment is not None and payment.due == date(2026, 8, 9)
    assert states(payment, [date(2026, 7, 31), date(2026, 8, 2), date(2026, 8, 10),
                            date(2026, 8, 12)]) == [S.upcoming, S.due_soon, S.overdue, S.met_late]
    agreed = subsidy_payment_obligation(
        StatementFacts(2025, "st1", date(2026, 7, 10), 100_00, date(2026, 9, 30)))
    assert agreed is not None and agreed.due == date(2026, 9, 30)
    assert subsidy_payment_obligation(StatementFacts(2025, None, None, 0, None)) is None


def test_r_obl_12_needs_from_2025_2026_due_31_may():
    dues = [needs_statement_obligation(y) for y in range(2024, 2029)]
    assert dues[0] is None
    assert [o.due for o in dues[1:] if o] == [date(2025, 5, 31), date(2026, 5, 31),
                                               date(2027, 5, 31), date(2028, 5, 31)]
    needs = dues[2]
    assert needs is not None and needs.party == "gcs"
    assert obligation_state(needs, noon(date(2026, 6, 1))) is S.overdue
    assert obligation_state(needs, noon(date(2026, 6, 1)),
                            waiver=Waiver("reçu oralement", paris(2026, 6, 1, 9), "ut")) is S.waived


def test_r_obl_13_storage_review_due_31_august_of_the_year_end():
    review = storage_review_obligation(2024)
    assert review is not None and review.due == date(2025, 8, 31)
    assert obligation_state(review, noon(date(2025, 8, 31)),
                            evidence=evidence_on(date(2025, 9, 1))) is S.due_soon
    assert obligation_state(review, noon(date(2025, 9, 1)),
                            evidence=evidence_on(date(2025, 9, 1))) is S.met_late


def test_r_obl_14_students_informed_by_the_main_campaign_opening():
    assert students_information_obligation("ifms-rodez", 2024, date(2024, 7, 1)) is None
    informing = students_information_obligation("ifms-rodez", 2026, date(2026, 7, 1))
    assert informing is not None and informing.party == "school:ifms-rodez"
    assert informing.listed_from == date(2025, 9, 1)
    assert states(informing, [date(2026, 6, 24), date(2026, 7, 2)]) == [S.due_soon, S.overdue]


def test_r_obl_15_worked_example_restoration_due_15_days_after_the_request():
    restoration = restoration_obligation(
        RestorationFacts("su1", "ifms-rodez", paris(2026, 4, 23, 10), None,
                         paris(2026, 5, 12, 9)), WorkingCalendar())
    assert restoration.due == date(2026, 5, 11)  # 8 May: public holiday is not the due
    assert states(restoration, [date(2026, 5, 3), date(2026, 5, 4), date(2026, 5, 12)]) == [
        S.upcoming, S.due_soon, S.met_late]


def test_r_obl_16_worked_example_breach_notice_72_hours_across_the_dst_change():
    notices = list(breach_notice_obligations(
        BreachFacts("b1", "region", paris(2026, 3, 27, 10))))
    assert [o.key for o in notices] == ["b1:ut", "b1:gcs"]
    notice = notices[0]
    assert notice.due == paris(2026, 3, 30, 11)
    assert obligation_state(notice, paris(2026, 3, 30, 11)) is S.due_soon
    assert obligation_state(notice, paris(2026, 3, 30, 11, 0, 1)) is S.overdue
    assert obligation_state(notice, paris(2026, 3, 31, 9),
                            evidence=evidence_on(paris(2026, 3, 30, 11))) is S.met


def test_r_obl_17_worked_example_termination_keeps_retrieval_and_recap_voids_the_others():
    effective = date(2027, 2, 28)
    census = {2026: date(2026, 10, 31), 2027: date(2027, 10, 31)}
    register = [
        retrieval_obligation("ifms-rodez", date(2027, 8, 31)),
        recap_obligation(2026, None),
        recap_obligation(2027, None),
        needs_statement_obligation(2027),  # due 2027-05-31, listed from 2026-09-01
        needs_statement_obligation(2028),  # listed from 2027-09-01: never opens
        storage_review_obligation(2025),  # due 2026-08-31, before E
    ]
    kept = list(after_termination([o for o in register if o], effective, census.__getitem__))
    by_id = {o.id: o for o in kept}

    assert set(by_id) == {"R-OBL-9:ifms-rodez", "R-OBL-10:2026", "R-OBL-12:2027",
                          "R-OBL-13:2025"}
    on = noon(date(2027, 3, 1))
    assert obligation_state(by_id["R-OBL-9:ifms-rodez"], on) is S.upcoming
    assert obligation_state(by_id["R-OBL-10:2026"], on) is S.upcoming
    assert obligation_state(by_id["R-OBL-12:2027"], on) is S.void
    assert obligation_state(by_id["R-OBL-12:2027"], noon(date(2027, 2, 27))) is S.upcoming
    assert obligation_state(by_id["R-OBL-13:2025"], on) is S.overdue
    met_before = by_id["R-OBL-12:2027"]
    assert obligation_state(met_before, on, evidence=evidence_on(date(2027, 2, 1))) is S.met


@pytest.mark.parametrize("t", [paris(2026, 6, 17, 23, 59), paris(2026, 6, 18, 0, 0)])
def test_a_pending_notice_closes_nothing(t):
    listing = campaign_list_obligation(CampaignListFacts(2026, "x", "trainer", None, True))
    kept = list(after_termination([listing], None, lambda y: date(y, 10, 31)))
    assert kept == [listing]
