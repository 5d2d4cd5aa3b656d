"""The support engineers' console: the queues, a case and its actions, the dashboard."""

from console.views.case import attachment, case, case_action, case_chat, case_presence
from console.views.dashboard import dashboard
from console.views.inbox import engineer_settings, inbox, inbox_count, inbox_open, inbox_read_all
from console.views.macros import case_macro, case_macro_insert
from console.views.queue import PAGE_SIZE, queue, realtime
from console.views.search import search

__all__ = [
    "PAGE_SIZE",
    "attachment",
    "case",
    "case_action",
    "case_chat",
    "case_presence",
    "case_macro",
    "case_macro_insert",
    "dashboard",
    "inbox",
    "inbox_count",
    "inbox_open",
    "inbox_read_all",
    "engineer_settings",
    "queue",
    "realtime",
    "search",
]
