"""Trusted Advisor jobs: thin tasks over advisor.services, safe to run twice."""

from celery import shared_task

from accounts.principals import SYSTEM


@shared_task(acks_late=True)
def advisor_check_run_task(state_pk: int) -> bool:
    from advisor.services import advisor_check_run

    return advisor_check_run(state_pk=state_pk)


@shared_task(acks_late=True)
def advisor_refresh_scheduled_task() -> int:
    from advisor.services import advisor_refresh_scheduled

    return advisor_refresh_scheduled(actor=SYSTEM)


@shared_task(acks_late=True)
def advisor_refresh_sweep_task() -> int:
    from advisor.services import advisor_refresh_sweep

    return advisor_refresh_sweep()


@shared_task(acks_late=True)
def advisor_results_purge_task() -> int:
    from advisor.services import advisor_results_purge

    return advisor_results_purge()


@shared_task(acks_late=True)
def advisor_weekly_reports_send_task() -> int:
    from advisor.services import advisor_weekly_reports_send

    return advisor_weekly_reports_send(actor=SYSTEM)
