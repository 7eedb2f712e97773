from django.contrib import messages
from django.contrib.messages.views import SuccessMessageMixin
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _
from django.views.generic import CreateView, DeleteView, DetailView, ListView, UpdateView

from camp.mixins import StaffRequiredMixin

from .forms import PostForm
from .models import Post
from .selectors import post_detail_queryset, post_list


class PostListView(StaffRequiredMixin, ListView):
    permission_required = "posts.view_post"
    template_name = "posts/post_list.html"
    paginate_by = 25

    def get_queryset(self):
        self.filterset = post_list(params=self.request.GET)
        return self.filterset.qs

    def get_context_data(self, **kwargs):
        return super().get_context_data(filterset=self.filterset, **kwargs)


class PostDetailView(StaffRequiredMixin, DetailView):
    permission_required = "posts.view_post"
    template_name = "posts/post_detail.html"

    def get_queryset(self):
        return post_detail_queryset()


class PostCreateView(StaffRequiredMixin, SuccessMessageMixin, CreateView):
    permission_required = "posts.add_post"
    model = Post
    form_class = PostForm
    template_name = "posts/post_form.html"
    success_message = _("Post “%(title)s” was created.")

    def get_initial(self):
        return {"author": self.request.user.username}


class PostUpdateView(StaffRequiredMixin, SuccessMessageMixin, UpdateView):
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
