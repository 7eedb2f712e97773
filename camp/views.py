from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.generic import TemplateView
from django_prometheus.exports import ExportToDjangoView

from .charts import bar_chart
from .health import check_services
from .mixins import StaffRequiredMixin
from .selectors import dashboard_stats, global_search, newest_users, recent_posts


class HomeView(StaffRequiredMixin, TemplateView):
    """Counts, recent activity and a 30-day chart of new posts."""

    template_name = "home.html"

    def get_context_data(self, **kwargs):
        counts, per_day = dashboard_stats(days=30)
        return super().get_context_data(
            counts=counts,
            chart=bar_chart(per_day),
            recent_posts=recent_posts(),
            newest_users=newest_users(),
            **kwargs,
        )


class SearchView(StaffRequiredMixin, TemplateView):
    """Search users and posts at once; results grouped by kind."""

    template_name = "search.html"

    def get_context_data(self, **kwargs):
        query = self.request.GET.get("q", "")[:200]
        results = global_search(query=query)
        user = self.request.user
        return super().get_context_data(
            global_search_query=query,
            users=results["users"] if user.has_perm("users.view_user") else None,
            posts=results["posts"] if user.has_perm("posts.view_post") else None,
            **kwargs,
        )


@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus metrics, for allow-listed scrapers or superusers only."""
    allowed = request.META.get("REMOTE_ADDR") in settings.METRICS_ALLOWED_IPS
    if not (allowed or request.user.is_superuser):
        raise PermissionDenied
    return ExportToDjangoView(request)


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Answer that the process is alive, touching nothing else."""
    return JsonResponse({"status": "ok"})


@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """Answer 200 when PostgreSQL and Redis both answer, else 503 naming the failures."""
    checks = check_services()
    failed = sorted(name for name, ok in checks.items() if not ok)
    return JsonResponse(
        {"status": "ok" if not failed else "unavailable", "checks": checks, "failed": failed},
        status=200 if not failed else 503,
    )
