from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CloudtrailConfig(AppConfig):
    name = "cloudtrail"
    verbose_name = _("CloudTrail (event history and trails)")
