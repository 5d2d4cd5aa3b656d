from django.apps import AppConfig


class AwsApiConfig(AppConfig):
    name = "awsapi"
    verbose_name = "AWS Support API"

    def ready(self) -> None:
        # Register the operation handlers.
        from awsapi.operations import attachments, cases, services, trusted_advisor  # noqa: F401
