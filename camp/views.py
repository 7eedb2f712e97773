from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.generic import TemplateView

from .health import check_services


class HomeView(TemplateView):
    template_name = "home.html"


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
