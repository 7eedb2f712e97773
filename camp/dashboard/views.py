"""The pages that span both apps: the dashboard home and global search."""

from django.views.generic import TemplateView

from camp.records.mixins import StaffRequiredMixin

from .charts import bar_chart
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
