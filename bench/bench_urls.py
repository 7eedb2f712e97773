"""Camp's URLs plus two baselines for bench/run.py.

B0 `bench/floor/`: the cheapest page a logged-in staff user can get through
Camp's middleware: a tiny template, no model touched (beyond the session
and user every request loads). `bench/floor/layout/` is the same with Camp's
page layout (base.html: header, sidebar, forms) around an empty body, to
tell the layout's cost from the page's own.

`bench/cached/posts/` is the post list with the list page cache on (bench_env
turns it off for every other page), served again while nothing changes.

B1 `bench/stock-admin/`: a second admin site with the ModelAdmin for Post a
user would write without Camp's tuning: the stock paginator and full counts.
"""

from django.contrib import admin
from django.http import HttpResponse
from django.template import engines
from django.urls import path
from django.views import View

from camp.records.mixins import StaffRequiredMixin
from camp.urls import urlpatterns as camp_urlpatterns
from posts.models import Post
from posts.views import PostListView

FLOOR_TEMPLATE = engines["django"].from_string(
    "<!doctype html><title>floor</title><p>Hello, {{ user.get_username }}.</p>"
)
LAYOUT_TEMPLATE = engines["django"].from_string(
    '{% extends "base.html" %}{% block content %}<p>Hello.</p>{% endblock content %}'
)


class FloorView(StaffRequiredMixin, View):
    template = FLOOR_TEMPLATE

    def get(self, request):
        return HttpResponse(self.template.render({}, request))


class StockPostAdmin(admin.ModelAdmin):
    list_display = ("title", "author", "status", "created_at")


stock_site = admin.AdminSite(name="stock_admin")
stock_site.register(Post, StockPostAdmin)

urlpatterns = [
    *camp_urlpatterns,
    path("bench/floor/", FloorView.as_view(), name="bench-floor"),
    path("bench/floor/layout/", FloorView.as_view(template=LAYOUT_TEMPLATE)),
    path("bench/stock-admin/", stock_site.urls),
    path("bench/cached/posts/", PostListView.as_view(page_cache_seconds=60)),
]
