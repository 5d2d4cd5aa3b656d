from django.apps import AppConfig


class AwsApiConfig(AppConfig):
    name = "awsapi"
    verbose_name = "AWS Support API"

    def ready(self) -> None:
        # Register the operation handlers.
        from awsapi.operations import (  # noqa: F401
            attachments,
            cases,
            cloudtrail,
            services,
            trusted_advisor,
        )
