from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AwsApiConfig(AppConfig):
    name = "awsapi"
    verbose_name = _("AWS Support API")

    def ready(self) -> None:
        # Register the operation handlers.
        from awsapi.operations import (  # noqa: F401
            attachments,
            cases,
            cloudtrail,
            services,
            trusted_advisor,
        )
