"""The pages that span both apps: the dashboard home and global search."""

from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from camp.records.mixins import StaffRequiredMixin

from .charts import bar_chart
from .selectors import dashboard_stats, global_search, newest_users, recent_posts


@dataclass(frozen=True)
class StatCard:
    label: str
    value: int
    url: str


#: (label, count key, list, query, permission) of each card, in order.
STAT_CARDS = (
    (_("Users"), "users_total", "users:list", "", "users.view_user"),
    (_("Active users"), "users_active", "users:list", "is_active=true", "users.view_user"),
    (_("Staff"), "users_staff", "users:list", "is_staff=true", "users.view_user"),
    (_("Posts"), "posts_total", "posts:list", "", "posts.view_post"),
    (_("Published"), "posts_published", "posts:list", "status=published", "posts.view_post"),
    (_("Drafts"), "posts_draft", "posts:list", "status=draft", "posts.view_post"),
    (_("Archived"), "posts_archived", "posts:list", "status=archived", "posts.view_post"),
)


class HomeView(StaffRequiredMixin, TemplateView):
    """Counts, recent activity and a 30-day chart of new posts.

    Only what the member may open: a card, list or chart whose records they
    cannot view would show titles and names, then answer 403 to a click.
    """

    template_name = "home.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        see_users, see_posts = user.has_perm("users.view_user"), user.has_perm("posts.view_post")
        counts, per_day = dashboard_stats(days=30) if see_users or see_posts else ({}, [])
        cards = [
            StatCard(label, counts[key], reverse(list_name) + (f"?{query}" if query else ""))
            for label, key, list_name, query, perm in STAT_CARDS
            if user.has_perm(perm)
        ]
        return super().get_context_data(
            counts=counts,
            cards=cards,
            chart=bar_chart(per_day) if see_posts else None,
            recent_posts=recent_posts() if see_posts else None,
            newest_users=newest_users() if see_users else None,
            **kwargs,
        )


#: Results shown per kind; one more is read to tell "10" from "more than 10".
SEARCH_LIMIT = 10


@dataclass(frozen=True)
class SearchSection:
    key: str
    title: str
    items: list
    more: bool
    list_url: str


class SearchView(StaffRequiredMixin, TemplateView):
    """Search users and posts at once; results grouped by kind, sections with matches first."""

    template_name = "search.html"

    def get_context_data(self, **kwargs):
        query = self.request.GET.get("q", "")[:200]
        results = global_search(query=query, limit=SEARCH_LIMIT + 1)
        user = self.request.user
        sections = [
            SearchSection(
                key=key,
                title=title,
                items=results[key][:SEARCH_LIMIT],
                more=len(results[key]) > SEARCH_LIMIT,
                list_url=reverse(f"{key}:list"),
            )
            for key, title, perm in (
                ("users", _("Users"), "users.view_user"),
                ("posts", _("Posts"), "posts.view_post"),
            )
            if user.has_perm(perm)
        ]
        # An empty section folds to one line after those with matches.
        sections.sort(key=lambda section: not section.items)
        shown = {section.key: section.items for section in sections}
        return super().get_context_data(
            global_search_query=query,
            sections=sections,
            users=shown.get("users"),
            posts=shown.get("posts"),
            **kwargs,
        )
