"""The periodic jobs Celery beat starts (`CELERY_BEAT_SCHEDULE`): each a thin, idempotent task
that calls its app's service; a run missed or repeated changes nothing."""

from __future__ import annotations

from celery.schedules import crontab

BEAT_SCHEDULE: dict = {
    # https://crontab.guru/#*/15_*_*_*_* : every 15 minutes
    "attachment-sets-expire": {
        "task": "cases.tasks.attachment_sets_purge_expired_task",
        "schedule": crontab(minute="*/15"),
    },
    # https://crontab.guru/#7_*_*_*_* : hourly, at minute 7
    "uploads-expire": {
        "task": "cases.tasks.uploads_purge_expired_task",
        "schedule": crontab(minute="7"),
    },
    # https://crontab.guru/#*_*_*_*_* : every minute
    "notifications-sweep": {
        "task": "notifications.tasks.notifications_sweep_task",
        "schedule": crontab(),
    },
    # https://crontab.guru/#*_*_*_*_* : every minute
    "cases-sla-warn": {
        "task": "cases.tasks.cases_sla_warn_task",
        "schedule": crontab(minute="*"),
    },
    # https://crontab.guru/#*/10_*_*_*_* : every 10 minutes
    "cases-auto-resolve": {
        "task": "cases.tasks.cases_auto_resolve_task",
        "schedule": crontab(minute="*/10"),
    },
    # https://crontab.guru/#*_*_*_*_* : every minute (test cases' steps whose task was lost)
    "test-cases-advance": {
        "task": "cases.tasks.scripted_cases_sweep_task",
        "schedule": crontab(),
    },
    # https://crontab.guru/#30_3_*_*_* : daily at 03:30 UTC
    "cases-purge": {
        "task": "cases.tasks.cases_purge_task",
        "schedule": crontab(minute="30", hour="3"),
    },
    # https://crontab.guru/#*/5_*_*_*_* : every 5 minutes
    "trails-deliver": {
        "task": "cloudtrail.tasks.trails_deliver_task",
        "schedule": crontab(minute="*/5"),
    },
    # https://crontab.guru/#15_4_*_*_* : daily at 04:15 UTC
    "audit-purge": {
        "task": "audit.tasks.audit_events_purge_task",
        "schedule": crontab(minute="15", hour="4"),
    },
    # https://crontab.guru/#45_4_*_*_* : daily at 04:45 UTC
    "database-optimize": {
        "task": "core.tasks.database_optimize_task",
        "schedule": crontab(minute="45", hour="4"),
    },
    # https://crontab.guru/#17_*_*_*_* : hourly, at minute 17
    "idempotency-records-expire": {
        "task": "awsapi.tasks.idempotency_records_purge_task",
        "schedule": crontab(minute="17"),
    },
    # https://crontab.guru/#*_*_*_*_* : every minute
    "events-deliveries-sweep": {
        "task": "events.tasks.event_deliveries_sweep_task",
        "schedule": crontab(),
    },
    # https://crontab.guru/#0_6_*_*_1 : weekly, Mondays at 06:00 UTC (Business and Enterprise)
    "advisor-refresh-weekly": {
        "task": "advisor.tasks.advisor_refresh_scheduled_task",
        "schedule": crontab(minute="0", hour="6", day_of_week="1"),
    },
    # https://crontab.guru/#*_*_*_*_* : every minute (runs whose worker died start again soon)
    "advisor-refresh-sweep": {
        "task": "advisor.tasks.advisor_refresh_sweep_task",
        "schedule": crontab(),
    },
    # https://crontab.guru/#0_12_*_*_1 : weekly, Mondays at 12:00 UTC (after the weekly
    # refresh's runs): the Trusted Advisor email, once per account and week
    "advisor-weekly-reports": {
        "task": "advisor.tasks.advisor_weekly_reports_send_task",
        "schedule": crontab(minute="0", hour="12", day_of_week="1"),
    },
    # https://crontab.guru/#50_4_*_*_* : daily at 04:50 UTC
    "advisor-results-purge": {
        "task": "advisor.tasks.advisor_results_purge_task",
        "schedule": crontab(minute="50", hour="4"),
    },
}
