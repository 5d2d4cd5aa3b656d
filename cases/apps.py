from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = _("Cases")

    def ready(self) -> None:
        from cases import alerts, effects
        from cases.services.severities import cases_relevel
        from catalog.services import severity_level_follow
        from notifications.services import renderer_register

        # Emails the sender composes (`cases.effects`, `cases.alerts`): jobs' status emails, a
        # new case's email and its engineers' alerts.
        renderer_register(effects.STATUS_EMAIL, effects.case_status_email_render)
        renderer_register(effects.CREATED_EMAIL, effects.case_created_email_render)
        renderer_register(alerts.ALERT_EMAIL, alerts.alert_email_render)
        # A severity's level is copied beside each case (`Case.severity_level`).
        severity_level_follow(cases_relevel)
