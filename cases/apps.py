from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = "Cases"

    def ready(self) -> None:
        from cases import effects
        from notifications.services import renderer_register

        # Jobs queue status emails that the sender composes (`cases.effects`).
        renderer_register(effects.STATUS_EMAIL, effects.case_status_email_render)
