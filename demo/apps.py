from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo tenant (`load_demo`), built through the services like any other interface."""

    name = "demo"
    verbose_name = "Demo tenant"
