"""Celery tasks for cases: thin wrappers around services, safe to run twice."""

from celery import shared_task


@shared_task(acks_late=True)
def attachment_sets_purge_expired_task() -> int:
    from cases.services.attachments import attachment_sets_purge_expired

    return attachment_sets_purge_expired()


@shared_task(acks_late=True)
def uploads_purge_expired_task() -> int:
    from cases.services.uploads import uploads_purge_expired

    return uploads_purge_expired()


@shared_task(acks_late=True)
def cases_auto_resolve_task() -> int:
    from cases.services.maintenance import cases_auto_resolve

    return cases_auto_resolve()


@shared_task(acks_late=True)
def cases_purge_task() -> int:
    from cases.services.maintenance import cases_purge

    return cases_purge()


@shared_task(acks_late=True)
def cases_sla_warn_task() -> int:
    from cases.services.maintenance import cases_sla_warn

    return cases_sla_warn()


@shared_task(acks_late=True)
def scripted_case_step_task(case_pk: int) -> bool:
    from cases.services.testscript import scripted_case_step

    return scripted_case_step(case_pk)


@shared_task(acks_late=True)
def scripted_cases_sweep_task() -> int:
    from cases.services.testscript import scripted_cases_sweep

    return scripted_cases_sweep()
