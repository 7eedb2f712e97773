from django.contrib import messages
from django.contrib.messages.views import SuccessMessageMixin
from django.http import HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import CreateView, DeleteView, DetailView, ListView, UpdateView

from camp.lists import listviews
from camp.lists.bulk import bulk_params
from camp.lists.filters import list_query
from camp.lists.listviews import ListPageMixin
from camp.lists.paginator import SeekPaginator
from camp.models import ListName
from camp.records.history import history_timeline
from camp.records.locking import STALE_MESSAGE, BadVersion, VersionConflict, posted_version
from camp.records.mixins import EditingPresenceMixin, StaffRequiredMixin, VersionConflictMixin

from .filters import POST_COLUMNS
from .forms import PostForm
from .models import Post
from .selectors import (
    deleted_post_bulk_preview,
    deleted_post_bulk_targets,
    deleted_posts,
    post_bulk_preview,
    post_bulk_targets,
    post_detail_queryset,
    post_list,
)
from .services import (
    DELETED_POST_BULK_ACTIONS,
    POST_BULK_ACTIONS,
    QUICK_STATUSES,
    PostImporter,
    RestoreError,
    post_quick_set_status,
    post_restore,
)


class PostListView(StaffRequiredMixin, ListPageMixin, ListView):
    permission_required = "posts.view_post"
    template_name = "posts/post_list.html"
    paginate_by = 25
    list_name = ListName.POSTS
    columns = POST_COLUMNS
    bulk_actions = POST_BULK_ACTIONS

    def get_queryset(self):
        self.filterset = post_list(params=self.request.GET)
        return self.filterset.qs

    def get_paginator(self, queryset, per_page, **kwargs):
        return SeekPaginator(
            queryset,
            per_page,
            key=("created_at", "id"),
            after=self.request.GET.get("after"),
            before=self.request.GET.get("before"),
            **kwargs,
        )


class PostDetailView(StaffRequiredMixin, DetailView):
    permission_required = "posts.view_post"
    template_name = "posts/post_detail.html"

    def get_queryset(self):
        return post_detail_queryset()

    def get_context_data(self, **kwargs):
        return super().get_context_data(history=history_timeline(Post, self.object.pk), **kwargs)


class PostSetStatusView(StaffRequiredMixin, View):
    """Publish, archive or return to draft one post with a single click on its page."""

    permission_required = "posts.change_post"
    http_method_names = ["post"]

    def post(self, request, pk):
        post = get_object_or_404(Post, pk=pk)
        status = request.POST.get("status", "")
        if status not in QUICK_STATUSES:
            return HttpResponseBadRequest(_("That form was broken: reload the page."))
        try:
            post = post_quick_set_status(
                post_id=post.pk, status=status, expected_version=posted_version(request.POST)
            )
        except BadVersion:
            return HttpResponseBadRequest(_("That form was broken: reload the page."))
        except VersionConflict:
            messages.error(request, STALE_MESSAGE)
            return HttpResponseRedirect(post.get_absolute_url())
        messages.success(
            request,
            _("Post “%(title)s” is now %(status)s.")
            % {"title": post.title, "status": post.get_status_display().lower()},
        )
        return HttpResponseRedirect(post.get_absolute_url())


class PostCreateView(StaffRequiredMixin, SuccessMessageMixin, CreateView):
    permission_required = "posts.add_post"
    model = Post
    form_class = PostForm
    template_name = "posts/post_form.html"
    success_message = _("Post “%(title)s” was created.")

    def get_initial(self):
        return {"author": self.request.user.username}


class PostUpdateView(
    StaffRequiredMixin,
    EditingPresenceMixin,
    VersionConflictMixin,
    SuccessMessageMixin,
    UpdateView,
):
    permission_required = "posts.change_post"
    form_class = PostForm
    template_name = "posts/post_form.html"
    success_message = _("Post “%(title)s” was updated.")

    def get_queryset(self):
        return post_detail_queryset()


class PostDeleteView(StaffRequiredMixin, DeleteView):
    permission_required = "posts.delete_post"
    template_name = "posts/post_confirm_delete.html"
    success_url = reverse_lazy("posts:list")

    def get_queryset(self):
        return post_detail_queryset()

    def form_valid(self, form):
        title = self.object.title
        response = super().form_valid(form)
        messages.success(self.request, _("Post “%(title)s” was deleted.") % {"title": title})
        return response


class DeletedPostListView(StaffRequiredMixin, ListView):
    """Recently deleted posts: who deleted each, and when; search them, restore several."""

    permission_required = "posts.view_post"
    template_name = "posts/post_deleted_list.html"
    paginate_by = 25
    context_object_name = "records"

    def get_queryset(self):
        return deleted_posts(query=self.request.GET.get("q", ""))

    def get_context_data(self, **kwargs):
        user, params = self.request.user, self.request.GET
        return super().get_context_data(
            q=params.get("q", "").strip(),
            list_query=list_query(params),
            bulk_actions=[
                a for a in DELETED_POST_BULK_ACTIONS.values() if user.has_perm(a.permission)
            ],
            **kwargs,
        )


class PostRestoreView(StaffRequiredMixin, View):
    """Restore a deleted post with its original id."""

    permission_required = "posts.add_post"
    http_method_names = ["post"]

    def post(self, request, history_id):
        try:
            post = post_restore(history_id=history_id)
        except RestoreError as error:
            messages.error(request, str(error))
            return HttpResponseRedirect(reverse_lazy("posts:deleted"))
        messages.success(request, _("Post “%(title)s” was restored.") % {"title": post.title})
        return HttpResponseRedirect(post.get_absolute_url())


class PostBulkView(listviews.BulkActionView):
    """Publish, archive or delete the ticked posts, or all posts matching the filter."""

    permission_any = ("posts.change_post", "posts.delete_post")
    template_name = "posts/post_confirm_bulk.html"
    actions = POST_BULK_ACTIONS
    list_url = "posts:list"

    job_kind = "posts.bulk"
    rows_name = _("posts")
    preview_rows = staticmethod(post_bulk_preview)
    preview_template = "posts/post_bulk_preview.html"

    def targets(self, form):
        return post_bulk_targets(params=bulk_params(form))


class DeletedPostBulkView(listviews.BulkActionView):
    """Restore the ticked deleted posts, or all those matching the search."""

    permission_any = ("posts.add_post",)
    template_name = "posts/post_deleted_confirm_bulk.html"
    actions = DELETED_POST_BULK_ACTIONS
    list_url = "posts:deleted"

    job_kind = "posts.restore"
    rows_name = _("posts")
    preview_rows = staticmethod(deleted_post_bulk_preview)
    preview_template = "posts/post_deleted_bulk_preview.html"

    def targets(self, form):
        return deleted_post_bulk_targets(params=bulk_params(form))


class PostExportView(listviews.ExportView):
    permission_required = "posts.view_post"
    xlsx_job_kind = "posts.xlsx"
    list_name = ListName.POSTS
    columns = POST_COLUMNS
    list_url = "posts:list"

    def get_queryset(self):
        return post_list(params=self.request.GET).qs


class PostImportView(listviews.ImportView):
    permission_required = ("posts.add_post", "posts.change_post")
    template_name = "posts/post_import.html"
    list_name = ListName.POSTS
    list_url = "posts:list"
    import_job_kind = "posts.import"

    def get_importer(self) -> PostImporter:
        return PostImporter()


class PostImportConfirmView(listviews.ImportConfirmView, PostImportView):
    import_url = "posts:import"


class PostSavedViewsView(listviews.SavedViewsView):
    permission_required = "posts.view_post"
    list_name = ListName.POSTS
    list_url = "posts:list"


class PostSavedViewChangeView(listviews.SavedViewChangeView):
    permission_required = "posts.view_post"
    list_name = ListName.POSTS
    manage_url = "posts:views"


class PostSavedViewDeleteView(listviews.SavedViewDeleteView):
    permission_required = "posts.view_post"
    list_name = ListName.POSTS
    manage_url = "posts:views"
