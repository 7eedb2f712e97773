"""What staff see of a background job, and where a worker picks it up again."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class JobQuerySet(models.QuerySet):
    def visible_to(self, user) -> "JobQuerySet":
        """Jobs `user` may see: their own; superusers see everyone's."""
        return self if user.is_superuser else self.filter(owner=user)


class Job(models.Model):
    """One piece of work of any size, done in batches, each committed with its progress.

    `cursor` says where the next batch starts; it is written in the same
    transaction as the batch's rows and history, so a worker killed half-way
    leaves the job exactly at its last committed batch. `lease` names the run
    that holds the job: a batch commits only while its run still holds it.
    """

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    FINISHED = (State.DONE, State.FAILED, State.CANCELLED)

    kind = models.CharField(_("kind"), max_length=50)
    label = models.CharField(_("what"), max_length=200)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="jobs",
        verbose_name=_("owner"),
    )
    #: What the job's kind needs to do its work (JSON: a query string, ids, a choice).
    params = models.JSONField(_("parameters"), default=dict)
    state = models.CharField(_("state"), max_length=10, choices=State, default=State.QUEUED)
    total = models.PositiveBigIntegerField(_("rows in all"), null=True, blank=True)
    done = models.PositiveBigIntegerField(_("rows done"), default=0)
    cursor = models.JSONField(_("cursor"), null=True, blank=True)
    outcome = models.TextField(_("outcome"), blank=True)
    error = models.TextField(_("error"), blank=True)
    cancel_requested = models.BooleanField(_("cancel requested"), default=False)
    lease = models.CharField(_("lease"), max_length=32, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    #: The queue's id for the run waiting or under way.
    task_id = models.CharField(_("task id"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("queued"), default=timezone.now, editable=False)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("last batch"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    objects = JobQuerySet.as_manager()

    class Meta:
        verbose_name = _("job")
        verbose_name_plural = _("jobs")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["owner", "-created_at"], name="jobs_job_owner_idx"),
            models.Index(fields=["state", "heartbeat_at"], name="jobs_job_state_idx"),
        ]

    def __str__(self) -> str:
        return self.label

    def get_absolute_url(self) -> str:
        return reverse("jobs:detail", kwargs={"pk": self.pk})

    def outcome_text(self) -> str:
        """The outcome in the reader's language, from the job's kind; else as stored."""
        from .registry import job_kind

        try:
            return str(job_kind(self.kind).outcome(self)) or self.outcome
        except KeyError:
            return self.outcome

    @property
    def finished(self) -> bool:
        return self.state in self.FINISHED

    @property
    def percent(self) -> int:
        if not self.total:
            return 100 if self.finished else 0
        return min(100, self.done * 100 // self.total)

    def rate(self) -> float | None:
        """Rows per second from the start to the last committed batch, or None before it."""
        if not (self.done and self.started_at and self.heartbeat_at):
            return None
        seconds = (self.heartbeat_at - self.started_at).total_seconds()
        return self.done / seconds if seconds > 0 else None

    def seconds_left(self) -> float | None:
        rate = self.rate()
        if rate is None or self.total is None or self.finished:
            return None
        return max(0, self.total - self.done) / rate


class NotificationQuerySet(models.QuerySet):
    def unread(self) -> "NotificationQuerySet":
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """Word to a member that one of their jobs finished or failed, until they mark it read.

    The text is written when shown, in the reader's language, from the job.
    """

    class Kind(models.TextChoices):
        DONE = "done", _("Finished")
        FAILED = "failed", _("Failed")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("user"),
    )
    job = models.ForeignKey(
        Job, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("job")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The bell's count: a member's unread notifications, from this index alone.
            models.Index(
                fields=["user"],
                condition=models.Q(read_at__isnull=True),
                name="jobs_notification_unread_idx",
            ),
            models.Index(fields=["user", "-created_at"], name="jobs_notification_user_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.job} ({self.kind})"

    def get_absolute_url(self) -> str:
        return self.job.get_absolute_url()


class JobFile(models.Model):
    """A file a job made (an export), kept in the database so any server can hand it out.

    Stored in JobFileChunk pieces of a megabyte, written once and streamed out
    piece by piece; deleted with its chunks after JOBS_FILE_RETENTION_HOURS.
    """

    job = models.OneToOneField(
        Job, on_delete=models.CASCADE, related_name="file", verbose_name=_("job")
    )
    name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size"), default=0)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("job file")
        verbose_name_plural = _("job files")
        indexes = [models.Index(fields=["created_at"], name="jobs_jobfile_created_idx")]

    def __str__(self) -> str:
        return self.name


class JobFileChunk(models.Model):
    file = models.ForeignKey(JobFile, on_delete=models.CASCADE, related_name="chunks")
    seq = models.PositiveIntegerField()
    data = models.BinaryField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["file", "seq"], name="jobs_jobfilechunk_unique_seq")
        ]

    def __str__(self) -> str:
        return f"{self.file_id}:{self.seq}"
