from django.apps import AppConfig


class AdvisorConfig(AppConfig):
    name = "advisor"
    verbose_name = "Trusted Advisor"

    def ready(self) -> None:
        from advisor import case_help
        from core.prefill import prefill_register

        # The check page's "Ask for help with this" opens the case form filled in.
        prefill_register(case_help.SOURCE, case_help.case_prefill)
