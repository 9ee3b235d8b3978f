"""Hosted accounts: creation requests, fulfilment, accounts, locks and the access check.

One room per concept; this package answers every name its callers import.
"""

from __future__ import annotations

from app.services.accounts.deadlines import RequestDeadlines, calendar_in, deadline_calendar
from app.services.accounts.fulfilment import fulfil_request
from app.services.accounts.locks import lock_account, unlock_account
from app.services.accounts.referents import as_role, referent_count
from app.services.accounts.requests import (
    NewRequest,
    close_request,
    create_request,
    get_request,
    list_requests,
)
from app.services.accounts.views import (
    AccountView,
    access_check,
    account_schools,
    account_view,
    get_account,
    list_accounts,
    role_schools,
    view_of,
)

__all__ = [
    "AccountView",
    "NewRequest",
    "RequestDeadlines",
    "access_check",
    "account_schools",
    "account_view",
    "as_role",
    "calendar_in",
    "close_request",
    "create_request",
    "deadline_calendar",
    "fulfil_request",
    "get_account",
    "get_request",
    "list_accounts",
    "list_requests",
    "lock_account",
    "referent_count",
    "role_schools",
    "unlock_account",
    "view_of",
]
