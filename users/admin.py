from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from camp.accounts.mixins import require_recent_authentication
from camp.lists.admin import CampModelAdmin

from . import policies
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

    def get_fieldsets(self, request, obj=None):
        """Leave out the fields the member may not set on `obj`: not shown, not read."""
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:
            return fieldsets
        locked = policies.locked_fields(request.user, obj)
        kept = []
        for name, options in fieldsets:
            fields = [field for field in options["fields"] if field not in locked]
            if fields:
                kept.append((name, {**options, "fields": tuple(fields)}))
        return tuple(kept)

    def has_change_permission(self, request, obj=None):
        # Also guards the password form and the history revert, which ask the same.
        return super().has_change_permission(request, obj) and (
            obj is None or policies.can_edit_user(request.user, obj)
        )

    def has_delete_permission(self, request, obj=None):
        # delete_selected asks this for every chosen user, and refuses them all if one fails.
        return super().has_delete_permission(request, obj) and (
            obj is None or policies.can_delete_user(request.user, obj)
        )

    def save_model(self, request, obj, form, change):
        if change:
            # Compared with the row as stored, not as the form loaded it: a
            # history revert starts from an old state whose flags may differ.
            stored = User.objects.get(pk=obj.pk)
            changed = policies.changed_flags(stored, obj) | set(form.changed_data)
            policies.check_changes(request.user, stored, changed)
        else:
            policies.check_changes(request.user, None, form.changed_data)
        super().save_model(request, obj, form, change)

    def delete_queryset(self, request, queryset):
        if not all(policies.can_delete_user(request.user, user) for user in queryset):
            raise PermissionDenied(policies.REFUSED)
        super().delete_queryset(request, queryset)

    # Changing a member's flags, permissions or password, deleting members and
    # the bulk actions (the CSV export among them) ask for the password again
    # first (camp.accounts.mixins); looking does not.
    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method == "POST":
            require_recent_authentication(request)
        return super().change_view(request, object_id, form_url, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        if request.method == "POST":
            require_recent_authentication(request)
        return super().delete_view(request, object_id, extra_context)

    def user_change_password(self, request, id, form_url=""):
        if request.method == "POST":
            require_recent_authentication(request)
        return super().user_change_password(request, id, form_url)

    def changelist_view(self, request, extra_context=None):
        if request.method == "POST" and "action" in request.POST:
            require_recent_authentication(request)
        return super().changelist_view(request, extra_context)

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


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(BaseGroupAdmin):
    """Groups hand out permissions to their members: only superusers shape them."""

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser
