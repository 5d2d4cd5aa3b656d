"""Template filters for the engineers' console."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext_lazy as _

from cases.lifecycle import Cause
from cases.models import Attachment, CaseStatus
from cases.selectors import attachment_preview

register = template.Library()

# Why a status changed, as a CaseEvent's reason keeps it (the lifecycle's Cause values).
CAUSE_LABELS = {
    Cause.ASSIGNMENT.value: _("assigned"),
    Cause.SUPPORT_REPLY.value: _("support reply"),
    Cause.CUSTOMER_REPLY.value: _("customer reply"),
    Cause.AUTO_RESOLVE.value: _("resolved automatically"),
    Cause.RELEASE.value: _("released to the queue"),
    Cause.STATUS_UPDATE.value: _("changed without a reply"),
}


@register.filter
def preview_kind(attachment: Attachment) -> str:
    """ "image" or "text" when the console can show the file, else ""."""
    return attachment_preview(attachment) or ""


@register.filter
def status_label(value: str) -> str:
    """A status as people read it, in their language, from the value a CaseEvent keeps
    ("pending-customer-action" -> "Pending customer action"); an unknown value as it is."""
    try:
        return str(CaseStatus(value).label)
    except ValueError:
        return value


@register.filter
def cause_label(value: str) -> str:
    """A status change's reason (a lifecycle Cause value) in the reader's language."""
    return str(CAUSE_LABELS.get(value, value))
