"""Template filters for the engineers' console."""

from __future__ import annotations

from django import template

from cases.models import Attachment
from cases.selectors import attachment_preview

register = template.Library()


@register.filter
def preview_kind(attachment: Attachment) -> str:
    """ "image" or "text" when the console can show the file, else ""."""
    return attachment_preview(attachment) or ""
