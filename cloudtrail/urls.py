from django.urls import path

from cloudtrail import views

app_name = "cloudtrail"

urlpatterns = [
    path("", views.event_history, name="history"),
    path("events/<uuid:event_id>/", views.event_detail, name="event"),
    path("download.<str:fmt>", views.event_download, name="download"),
    path("trails/", views.trail_list, name="trails"),
    path("trails/<str:name>/verify/", views.trail_verify, name="trail-verify"),
    path("trails/<str:name>/state/", views.trail_set_state, name="trail-state"),
    path("trails/<str:name>/delete/", views.trail_delete, name="trail-delete"),
]
