from django.contrib import messages
from django.http import Http404, HttpResponseRedirect, StreamingHttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import DetailView, ListView
from django.views.generic.detail import SingleObjectMixin
from django.views.generic.edit import ProcessFormView

from camp.records.mixins import StaffRequiredMixin

from .registry import job_kind
from .selectors import job_file, job_file_chunks, job_list, notification_list
from .services import job_cancel, notifications_mark_read


class JobListView(StaffRequiredMixin, ListView):
    """My jobs; a superuser sees everyone's."""

    template_name = "jobs/job_list.html"
    paginate_by = 25
    context_object_name = "jobs"

    def get_queryset(self):
        return job_list(user=self.request.user)


class JobDetailView(StaffRequiredMixin, DetailView):
    """One job: progress, rate, time left and outcome; refreshes itself until it ends."""

    template_name = "jobs/job_detail.html"
    context_object_name = "job"

    def get_queryset(self):
        return job_list(user=self.request.user)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            file=job_file(job=self.object),
            result_url=job_kind(self.object.kind).result_url(self.object),
            **kwargs,
        )


class JobFileView(StaffRequiredMixin, SingleObjectMixin, View):
    """Download the file a job made, streamed a stored piece at a time."""

    http_method_names = ["get"]

    def get_queryset(self):
        return job_list(user=self.request.user)

    def get(self, request, *args, **kwargs):
        file = job_file(job=self.get_object())
        if file is None:
            raise Http404
        return StreamingHttpResponse(
            job_file_chunks(file=file),
            content_type=file.content_type,
            headers={
                "Content-Disposition": f'attachment; filename="{file.name}"',
                "Content-Length": str(file.size),
            },
        )


class JobCancelView(StaffRequiredMixin, SingleObjectMixin, ProcessFormView):
    """Stop a job after its current batch."""

    http_method_names = ["post"]

    def get_queryset(self):
        return job_list(user=self.request.user)

    def post(self, request, *args, **kwargs):
        job = job_cancel(job=self.get_object())
        if job.state == job.State.CANCELLED:
            messages.success(request, _("The job was cancelled."))
        elif job.cancel_requested and not job.finished:
            messages.success(request, _("The job will stop after its current batch."))
        else:
            messages.info(request, _("The job had already finished."))
        return HttpResponseRedirect(job.get_absolute_url())


class NotificationListView(StaffRequiredMixin, ListView):
    """My notifications, newest first; unread ones are marked until I mark them read."""

    template_name = "jobs/notification_list.html"
    paginate_by = 25
    context_object_name = "notifications"

    def get_queryset(self):
        return notification_list(user=self.request.user)


class NotificationReadView(StaffRequiredMixin, View):
    """Mark one notification (`id`) or all of mine read."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        raw = request.POST.get("id", "")
        pk = int(raw) if raw.isdigit() and len(raw) < 19 else None
        if raw and pk is None:
            return HttpResponseRedirect(reverse("notifications:list"))
        notifications_mark_read(user=request.user, pk=pk)
        return HttpResponseRedirect(reverse("notifications:list"))
