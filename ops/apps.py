from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpsConfig(AppConfig):
    """Running the whole product: the commands `make run` calls (bootstrap, runstack)."""

    name = "ops"
    verbose_name = _("Operations")
