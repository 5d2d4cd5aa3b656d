from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """The demo tenant (`load_demo`), built through the services like any other interface."""

    name = "demo"
    verbose_name = _("Demo tenant")
