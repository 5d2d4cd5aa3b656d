from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Email notifications")

    def ready(self) -> None:
        from accounts.mailer import password_reset_queue_register
        from notifications import account_emails
        from notifications.services import renderer_register

        renderer_register(account_emails.PASSWORD_RESET, account_emails.password_reset_render)
        password_reset_queue_register(account_emails.password_reset_enqueue)
