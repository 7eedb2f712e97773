from allauth.account import views as account_views
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST
from django.views.generic import RedirectView

from .accounts import views as account_views_camp
from .dashboard import views as dashboard_views
from .ops import views as ops_views

urlpatterns = [
    path("", dashboard_views.HomeView.as_view(), name="home"),
    path("search/", dashboard_views.SearchView.as_view(), name="search"),
    path("healthz", ops_views.healthz, name="healthz"),
    path("readyz", ops_views.readyz, name="readyz"),
    path("metrics", ops_views.metrics, name="metrics"),
    # allauth's login and logout under Camp's own names; the rest of the
    # account pages (second factors, password reset, sessions) follow.
    path("accounts/login/", account_views.login, name="login"),
    # Logging out changes state, so it is a POST (a link could not do it).
    path("accounts/logout/", require_POST(account_views.logout), name="logout"),
    path("accounts/email/", account_views_camp.EmailView.as_view(), name="account_email"),
    path(
        "accounts/sessions/<int:pk>/end/",
        account_views_camp.UserSessionEndView.as_view(),
        name="usersessions_end",
    ),
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("users/", include("users.urls")),
    path("posts/", include("posts.urls")),
    path("audit/", include("camp.audit.urls")),
    path("jobs/", include("camp.jobs.urls")),
    path("notifications/", include("camp.jobs.notification_urls")),
    # One door: the admin's own login form would skip the second factor.
    path(
        "admin/login/",
        RedirectView.as_view(pattern_name="login", query_string=True),
        name="admin_login",
    ),
    path("admin/", admin.site.urls),
]

admin.site.site_header = "Camp"
admin.site.site_title = "Camp"
admin.site.index_title = _("Administration")
