from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Running the whole product: the commands `make run` calls (bootstrap, runstack)."""

    name = "ops"
    verbose_name = "Operations"
