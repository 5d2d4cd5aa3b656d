from django.apps import AppConfig


class CloudtrailConfig(AppConfig):
    name = "cloudtrail"
    verbose_name = "CloudTrail (event history and trails)"
