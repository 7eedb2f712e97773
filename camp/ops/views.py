"""Endpoints for operators and probes: liveness, readiness and Prometheus metrics."""

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.module_loading import import_string
from django.views.decorators.cache import never_cache
from django_prometheus.exports import ExportToDjangoView

from .health import check_services


@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus metrics, for allow-listed scrapers or superusers only."""
    allowed = request.META.get("REMOTE_ADDR") in settings.METRICS_ALLOWED_IPS
    if not (allowed or request.user.is_superuser):
        raise PermissionDenied
    response = ExportToDjangoView(request)
    # Figures read from the database at scrape time (jobs, say) come from the
    # parts of Camp that own them, named in settings so ops imports none of them.
    for provider in settings.METRICS_TEXT_PROVIDERS:
        response.content += import_string(provider)()
    return response


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
