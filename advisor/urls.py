from django.urls import path

from advisor import views

app_name = "advisor"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("refresh/", views.dashboard_refresh, name="refresh-all"),
    path("preferences/", views.preferences, name="preferences"),
    path("connection/", views.connection, name="connection"),
    path("connection/delete/", views.connection_delete, name="connection-delete"),
    path("connection/test/", views.connection_test, name="connection-test"),
    path("checks/<str:check_id>/", views.check_detail, name="check"),
    path("checks/<str:check_id>/progress/", views.check_progress, name="check-progress"),
    path("checks/<str:check_id>/refresh/", views.check_refresh, name="check-refresh"),
    path("checks/<str:check_id>/exclude/", views.check_exclude, name="check-exclude"),
    path("checks/<str:check_id>/include/", views.check_include, name="check-include"),
    path("checks/<str:check_id>/download.csv", views.check_download, name="check-download"),
]
