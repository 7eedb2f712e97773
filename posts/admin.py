from django.contrib import admin, messages
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from camp.lists.admin import CampModelAdmin
from camp.lists.admin_rows import change_url

from .forms import PostAdminForm
from .models import Post
from .services import post_set_status


@admin.register(Post)
class PostAdmin(CampModelAdmin):
    list_display = ("title", "author_link", "status", "created_at", "updated_at")
    list_filter = ("status", "created_at", ("author__is_staff", admin.BooleanFieldListFilter))
    list_select_related = ("author",)
    search_fields = ("title", "author__username")
    date_hierarchy = "created_at"
    autocomplete_fields = ("author",)
    readonly_fields = ("created_at", "updated_at")
    form = PostAdminForm
    fields = ("title", "content", "status", "author", "created_at", "updated_at", "version")
    actions = ("publish", "archive", "export_as_csv")
    csv_fields = ("id", "title", "content", "status", "author", "created_at", "updated_at")

    @admin.display(description=_("author"), ordering="author__username")
    def author_link(self, post: Post) -> str:
        url = change_url("admin:users_user_change", post.author_id)
        return format_html('<a href="{}">{}</a>', url, post.author.username)

    @admin.action(description=_("Publish selected posts"), permissions=["change"])
    def publish(self, request, queryset):
        self._set_status(request, queryset, Post.Status.PUBLISHED)

    @admin.action(description=_("Archive selected posts"), permissions=["change"])
    def archive(self, request, queryset):
        self._set_status(request, queryset, Post.Status.ARCHIVED)

    def _set_status(self, request, queryset, status: str) -> None:
        changed = post_set_status(posts=queryset, status=status)
        label = Post.Status(status).label
        self.message_user(
            request,
            ngettext(
                "%(count)d post was set to %(status)s.",
                "%(count)d posts were set to %(status)s.",
                changed,
            )
            % {"count": changed, "status": label},
            messages.SUCCESS,
        )
