from django.urls import path

from events import views

app_name = "events"

urlpatterns = [
    path("", views.rule_list, name="rules"),
    path("create/", views.rule_create, name="create"),
    path("starter/", views.rule_starter, name="starter"),
    path("rules/<str:name>/", views.rule_detail, name="rule"),
    path("rules/<str:name>/edit/", views.rule_edit, name="edit"),
    path("rules/<str:name>/state/", views.rule_set_state, name="state"),
    path("rules/<str:name>/delete/", views.rule_delete, name="delete"),
    path("rules/<str:name>/targets/", views.target_create, name="target-create"),
    path(
        "rules/<str:name>/targets/<str:target_id>/delete/",
        views.target_delete,
        name="target-delete",
    ),
    path(
        "rules/<str:name>/targets/<str:target_id>/confirmation/",
        views.target_resend_confirmation,
        name="target-resend-confirmation",
    ),
    path("confirm/<str:token>/", views.target_confirm, name="confirm"),
    path(
        "rules/<str:name>/targets/<str:target_id>/deliveries/",
        views.delivery_log,
        name="deliveries",
    ),
    path(
        "rules/<str:name>/targets/<str:target_id>/deliveries/<uuid:delivery_id>/replay/",
        views.delivery_replay,
        name="replay",
    ),
]
