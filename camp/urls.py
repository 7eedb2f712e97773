from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from .dashboard import views as dashboard_views
from .ops import views as ops_views

urlpatterns = [
    path("", dashboard_views.HomeView.as_view(), name="home"),
    path("search/", dashboard_views.SearchView.as_view(), name="search"),
    path("healthz", ops_views.healthz, name="healthz"),
    path("readyz", ops_views.readyz, name="readyz"),
    path("metrics", ops_views.metrics, name="metrics"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("users/", include("users.urls")),
    path("posts/", include("posts.urls")),
    path("audit/", include("camp.audit.urls")),
    path("jobs/", include("camp.jobs.urls")),
    path("notifications/", include("camp.jobs.notification_urls")),
    path("admin/", admin.site.urls),
]

admin.site.site_header = "Camp"
admin.site.site_title = "Camp"
admin.site.index_title = _("Administration")
