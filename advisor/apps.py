from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AdvisorConfig(AppConfig):
    name = "advisor"
    verbose_name = _("Trusted Advisor")

    def ready(self) -> None:
        from advisor import case_help
        from advisor.services import reports
        from core.prefill import prefill_register
        from notifications.services import renderer_register

        # The weekly email is queued by a job and composed by the sender.
        renderer_register(reports.TEMPLATE, reports.weekly_report_render)

        # The check page's "Ask for help with this" opens the case form filled in.
        prefill_register(case_help.SOURCE, case_help.case_prefill)
