from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from cases import views as case_views
from core import views as core_views

# The database away is a 503 with Retry-After, not a 500 (core.views.server_error).
handler500 = "core.views.server_error"

admin.site.site_header = _("Support Center administration")
admin.site.site_title = _("Support Center admin")

urlpatterns = [
    path("", case_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("livez", core_views.livez, name="livez"),
    path("favicon.ico", core_views.favicon, name="favicon"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("_support/", include("awsapi.urls")),
    path("support/cases/", include("cases.urls")),
    path("console/", include("console.urls")),
    path("cloudtrail/", include("cloudtrail.urls")),
    path("events/", include("events.urls")),
    path("trusted-advisor/", include("advisor.urls")),
    path("", include("accounts.urls")),
]
