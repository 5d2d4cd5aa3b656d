"""Trail delivery: a thin task over the service, safe to run twice."""

from celery import shared_task


@shared_task(acks_late=True)
def trails_deliver_task() -> int:
    from cloudtrail.services import trails_deliver

    return trails_deliver()
