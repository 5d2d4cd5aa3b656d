from django.urls import path

from console import views

app_name = "console"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("realtime/", views.realtime, name="realtime"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("cases/<str:case_id>/", views.case, name="case"),
    path(
        "cases/<str:case_id>/attachments/<str:attachment_id>/",
        views.attachment,
        name="attachment",
    ),
    path("cases/<str:case_id>/<slug:action>/", views.case_action, name="case-action"),
]
