from django.urls import path
from django.views.generic import RedirectView

from console import views

app_name = "console"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("realtime/", views.realtime, name="realtime"),
    path("search/", views.search, name="search"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("notifications/", views.inbox, name="inbox"),
    path("notifications/count/", views.inbox_count, name="inbox-count"),
    path("notifications/read-all/", views.inbox_read_all, name="inbox-read-all"),
    path("settings/", views.engineer_settings, name="settings"),
    path(
        "notifications/settings/",
        RedirectView.as_view(pattern_name="console:settings", permanent=True),
    ),
    path("notifications/<int:item_id>/open/", views.inbox_open, name="inbox-open"),
    path("cases/<str:case_id>/", views.case, name="case"),
    path(
        "cases/<str:case_id>/attachments/<str:attachment_id>/",
        views.attachment,
        name="attachment",
    ),
    path("cases/<str:case_id>/chat/", views.case_chat, name="chat"),
    path("cases/<str:case_id>/presence/", views.case_presence, name="presence"),
    # Before case-action, whose <action> would take these.
    path("cases/<str:case_id>/macro/", views.case_macro, name="case-macro"),
    path("cases/<str:case_id>/macro/insert/", views.case_macro_insert, name="case-macro-insert"),
    path("cases/<str:case_id>/<slug:action>/", views.case_action, name="case-action"),
]
