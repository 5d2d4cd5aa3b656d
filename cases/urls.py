from django.urls import path

from cases import views, views_hold, views_suggest

app_name = "cases"

urlpatterns = [
    path("", views.case_list, name="list"),
    path("create/", views.case_create, name="create"),
    path("plan/", views.support_plan, name="plan"),
    path("create/options/", views.case_create_options, name="create-options"),
    path("create/similar/", views_suggest.similar_cases, name="similar"),
    path("<str:case_id>/", views.case_detail, name="detail"),
    path("<str:case_id>/messages/", views.case_messages, name="messages"),
    path("<str:case_id>/reply/", views.case_reply, name="reply"),
    path("<str:case_id>/cc/", views.case_add_cc, name="add-cc"),
    path("<str:case_id>/resolve/", views.case_resolve, name="resolve"),
    path("<str:case_id>/reopen/", views.case_reopen, name="reopen"),
    path(
        "<str:case_id>/legal-hold/<slug:action>/",
        views_hold.case_legal_hold,
        name="legal-hold",
    ),
    path(
        "<str:case_id>/attachments/<str:attachment_id>/",
        views.attachment_download,
        name="attachment",
    ),
]
