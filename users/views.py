from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.messages.views import SuccessMessageMixin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import (
    Http404,
    HttpResponseBadRequest,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import get_object_or_404
from django.urls import reverse_lazy
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop
from django.views import View
from django.views.generic import CreateView, DeleteView, DetailView, FormView, ListView, UpdateView

from camp.accounts.mixins import ReauthenticationRequiredMixin, require_recent_authentication
from camp.lists import listviews
from camp.lists.bulk import bulk_params
from camp.lists.listviews import ListPageMixin
from camp.lists.paginator import EstimatedCountPaginator
from camp.models import ListName
from camp.records.history import history_timeline
from camp.records.locking import STALE_MESSAGE, BadVersion, VersionConflict, posted_version
from camp.records.mixins import EditingPresenceMixin, StaffRequiredMixin, VersionConflictMixin

from . import policies
from .filters import USER_COLUMNS
from .forms import UserCreateForm, UserSetPasswordForm, UserUpdateForm
from .models import User
from .selectors import (
    user_bulk_preview,
    user_bulk_targets,
    user_detail_queryset,
    user_list,
    user_posts,
    user_suggestions,
    user_summary,
)
from .services import USER_BULK_ACTIONS, UserImporter, user_set_active


class UserListView(StaffRequiredMixin, ListPageMixin, ListView):
    permission_required = "users.view_user"
    template_name = "users/user_list.html"
    paginate_by = 25
    paginator_class = EstimatedCountPaginator
    list_name = ListName.USERS
    columns = USER_COLUMNS
    bulk_actions = USER_BULK_ACTIONS

    def get_queryset(self):
        self.filterset = user_list(params=self.request.GET)
        return self.filterset.qs


class UserDetailView(StaffRequiredMixin, DetailView):
    """The profile (from the cached summary), with the user's posts paginated beneath it."""

    permission_required = "users.view_user"
    template_name = "users/user_detail.html"
    context_object_name = "profile"
    paginate_by = 10

    def get_object(self, queryset=None):
        summary = user_summary(user_id=self.kwargs["pk"])
        if summary is None:
            raise Http404(_("No user with that id exists."))
        return summary

    def get_context_data(self, **kwargs):
        paginator = Paginator(user_posts(user_id=self.object.id), self.paginate_by)
        page_obj = paginator.get_page(self.request.GET.get("page"))
        actor, profile = self.request.user, self.object
        return super().get_context_data(
            page_obj=page_obj,
            history=history_timeline(User, self.object.id),
            can_edit=policies.can_edit_user(actor, profile),
            can_set_active=policies.can_set_active(actor, profile),
            can_delete=policies.can_delete_user(actor, profile),
            **kwargs,
        )


class UserCreateView(StaffRequiredMixin, SuccessMessageMixin, CreateView):
    permission_required = "users.add_user"
    model = User
    form_class = UserCreateForm
    template_name = "users/user_form.html"
    success_message = _("User “%(username)s” was created.")

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        policies.restrict_form(form, actor=self.request.user, target=None)
        return form


class UserUpdateView(
    StaffRequiredMixin,
    EditingPresenceMixin,
    VersionConflictMixin,
    SuccessMessageMixin,
    UpdateView,
):
    permission_required = "users.change_user"
    model = User
    form_class = UserUpdateForm
    template_name = "users/user_form.html"
    context_object_name = "profile"
    success_message = _("User “%(username)s” was updated.")
    #: Changing these decides who may work in Camp: re-authenticate first.
    sensitive_fields = {"is_staff", "is_superuser", "groups", "user_permissions"}

    def get_object(self, queryset=None):
        profile = super().get_object(queryset)
        policies.check_edit(self.request.user, profile)
        return profile

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        policies.restrict_form(form, actor=self.request.user, target=self.object)
        return form

    def form_valid(self, form):
        policies.check_changes(self.request.user, self.object, form.changed_data)
        if self.sensitive_fields & set(form.changed_data):
            require_recent_authentication(self.request)
        return super().form_valid(form)


class UserSetPasswordView(StaffRequiredMixin, ReauthenticationRequiredMixin, FormView):
    permission_required = "users.change_user"
    reauthenticate_get = False
    form_class = UserSetPasswordForm
    template_name = "users/user_set_password.html"

    @cached_property
    def profile(self) -> User:
        # Looked up after the permission check, so that only those allowed to
        # set passwords learn which user ids exist; read by the form on GET and POST
        # alike, so a member who may not change this user gets 403 either way.
        profile = get_object_or_404(User, pk=self.kwargs["pk"])
        policies.check_edit(self.request.user, profile)
        return profile

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.profile}

    def get_context_data(self, **kwargs):
        return super().get_context_data(profile=self.profile, **kwargs)

    def form_valid(self, form):
        self.profile._change_reason = gettext_noop("Password changed")
        form.save()
        if self.profile.pk == self.request.user.pk:
            # Changing your own password must not log you out.
            update_session_auth_hash(self.request, self.profile)
        messages.success(
            self.request,
            _("The password of “%(username)s” was changed.") % {"username": self.profile},
        )
        return HttpResponseRedirect(self.profile.get_absolute_url())


class UserSetActiveView(StaffRequiredMixin, View):
    """Activate or deactivate a user: the safe alternative to deleting."""

    permission_required = "users.change_user"
    http_method_names = ["post"]
    active = True

    def post(self, request, pk):
        target = get_object_or_404(User, pk=pk)
        try:
            profile = user_set_active(
                user=target,
                active=self.active,
                by=request.user,
                expected_version=posted_version(request.POST),
            )
        except BadVersion:
            return HttpResponseBadRequest(_("That form was broken: reload the page."))
        except VersionConflict:
            messages.error(request, STALE_MESSAGE)
            return HttpResponseRedirect(target.get_absolute_url())
        if self.active:
            text = _("User “%(username)s” was activated.")
        else:
            text = _("User “%(username)s” was deactivated and can no longer log in.")
        messages.success(request, text % {"username": profile.username})
        return HttpResponseRedirect(profile.get_absolute_url())


class UserDeleteView(StaffRequiredMixin, ReauthenticationRequiredMixin, DeleteView):
    permission_required = "users.delete_user"
    reauthenticate_get = False
    template_name = "users/user_confirm_delete.html"
    context_object_name = "profile"
    success_url = reverse_lazy("users:list")

    def get_queryset(self):
        return user_detail_queryset()

    def get_object(self, queryset=None):
        profile = super().get_object(queryset)
        if not policies.can_delete_user(self.request.user, profile):
            raise PermissionDenied(policies.REFUSED)
        return profile

    def form_valid(self, form):
        username = self.object.username
        response = super().form_valid(form)
        messages.success(
            self.request, _("User “%(username)s” was deleted.") % {"username": username}
        )
        return response


class UserAutocompleteView(StaffRequiredMixin, View):
    """Suggest usernames for the author box of the post form."""

    #: Any one is enough: the suggestions serve whoever may view users or write posts.
    permission_any = ("users.view_user", "posts.add_post", "posts.change_post")

    def has_permission(self) -> bool:
        user = self.request.user
        return super().has_permission() and any(map(user.has_perm, self.permission_any))

    def get(self, request):
        return JsonResponse({"results": user_suggestions(query=request.GET.get("q", ""))})


class UserBulkView(listviews.BulkActionView):
    """Activate or deactivate the ticked users, or all users matching the filter."""

    permission_any = ("users.change_user",)
    template_name = "users/user_confirm_bulk.html"
    actions = USER_BULK_ACTIONS
    list_url = "users:list"

    job_kind = "users.bulk"
    rows_name = _("users")
    preview_rows = staticmethod(user_bulk_preview)
    preview_template = "users/user_bulk_preview.html"

    def targets(self, form):
        return user_bulk_targets(params=bulk_params(form))


class UserExportView(listviews.ExportView):
    permission_required = "users.view_user"
    xlsx_job_kind = "users.xlsx"
    list_name = ListName.USERS
    columns = USER_COLUMNS
    list_url = "users:list"

    def get(self, request, *args, **kwargs):
        # Every member's email address in one file: re-authenticate first.
        require_recent_authentication(request)
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return user_list(params=self.request.GET).qs


class UserImportView(listviews.ImportView):
    permission_required = ("users.add_user", "users.change_user")
    template_name = "users/user_import.html"
    list_name = ListName.USERS
    list_url = "users:list"
    import_job_kind = "users.import"

    def get_importer(self) -> UserImporter:
        return UserImporter(by=self.request.user)


class UserImportConfirmView(listviews.ImportConfirmView, UserImportView):
    import_url = "users:import"


class UserSavedViewsView(listviews.SavedViewsView):
    permission_required = "users.view_user"
    list_name = ListName.USERS
    list_url = "users:list"


class UserSavedViewChangeView(listviews.SavedViewChangeView):
    permission_required = "users.view_user"
    list_name = ListName.USERS
    manage_url = "users:views"


class UserSavedViewDeleteView(listviews.SavedViewDeleteView):
    permission_required = "users.view_user"
    list_name = ListName.USERS
    manage_url = "users:views"
