from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = "Cases"

    def ready(self) -> None:
        from cases import alerts, effects
        from notifications.services import renderer_register

        # Emails the sender composes (`cases.effects`, `cases.alerts`): jobs' status emails, a
        # new case's email and its engineers' alerts.
        renderer_register(effects.STATUS_EMAIL, effects.case_status_email_render)
        renderer_register(effects.CREATED_EMAIL, effects.case_created_email_render)
        renderer_register(alerts.ALERT_EMAIL, alerts.alert_email_render)
