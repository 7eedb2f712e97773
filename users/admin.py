from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from camp.admin import CampModelAdmin

from .forms import UserAdminChangeForm, UserAdminCreationForm
from .models import User
from .selectors import user_recent_posts


@admin.register(User)
class UserAdmin(CampModelAdmin, BaseUserAdmin):
    form = UserAdminChangeForm
    add_form = UserAdminCreationForm
    fieldsets = (
        (None, {"fields": ("username", "password", "version")}),
        (_("Personal info"), {"fields": ("name", "email")}),
        (
            _("Permissions"),
            {
                "fields": (
                    "is_active",
                    "is_staff",
                    "is_superuser",
                    "groups",
                    "user_permissions",
                ),
            },
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
        (_("Posts"), {"fields": ("recent_posts",)}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "username",
                    "email",
                    "name",
                    "usable_password",
                    "password1",
                    "password2",
                ),
            },
        ),
    )
    readonly_fields = ("recent_posts",)
    list_display = ("username", "email", "name", "is_active", "is_staff", "date_joined")
    list_filter = ("is_active", "is_staff", "is_superuser", "date_joined")
    search_fields = ("username", "email", "name")
    ordering = ("-date_joined", "-id")
    actions = ("export_as_csv",)
    csv_fields = ("id", "username", "email", "name", "is_active", "is_staff", "date_joined")

    @admin.display(description=_("recent posts"))
    def recent_posts(self, user: User) -> str:
        """The newest few posts and a link to all of them: never thousands of inlines."""
        if not user.pk:
            return "—"
        posts = user_recent_posts(user=user)
        changelist = reverse("admin:posts_post_changelist")
        all_link = format_html(
            '<p><a href="{}?{}">{}</a></p>',
            changelist,
            urlencode({"author__id__exact": user.pk}),
            _("All posts by this user"),
        )
        if not posts:
            return format_html("<p>{}</p>{}", _("No posts yet."), all_link)
        items = format_html_join(
            "",
            '<li><a href="{}">{}</a> · {} · {}</li>',
            (
                (
                    reverse("admin:posts_post_change", args=[post.pk]),
                    post.title,
                    post.get_status_display(),
                    post.created_at.strftime("%Y-%m-%d"),
                )
                for post in posts
            ),
        )
        return format_html("<ul>{}</ul>{}", items, all_link)
