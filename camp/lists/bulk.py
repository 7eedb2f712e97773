"""Bulk actions on a list: on the rows ticked, or on every row matching the filter.

Up to IN_REQUEST_LIMIT rows are changed in the request; more become a
background job (camp.jobs) of the list's bulk kind, made by bulk_job_kind().
"""

from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.db.models import QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from camp.jobs.registry import BatchResult, JobKind, register

#: Past this many rows an action becomes a background job. Measured in the
#: request on a loaded 2-core machine: 20,000 posts published or deleted in
#: about 11 s (batches of 1,000: one UPDATE or DELETE, one history INSERT), and
#: bench/jobs.py runs the same batches at 1,400-2,200 rows/s (2,186 on a
#: million posts at load 3-4, 1,389 on 100,000 at load 12-18), so 2,000 rows
#: answer in one to two seconds; anything bigger is better watched on a job
#: page than waited for.
IN_REQUEST_LIMIT = 2_000

#: How many of the rows an action will change its confirmation lists: enough
#: to recognise the choice, read in one query whatever the number of rows.
PREVIEW_ROWS = 10


@dataclass(frozen=True)
class BulkAction:
    key: str
    #: The verb in the action menu, e.g. "Publish".
    label: str | Promise
    #: The permission the action needs, beyond viewing the list.
    permission: str
    #: The rows among the chosen ones that the action will change.
    pending: Callable[[QuerySet, object], QuerySet]
    #: Carry the action out on the chosen rows; return how many changed.
    run: Callable[[QuerySet, object], int]
    #: Carry it out on one locked batch of pending rows, inside the caller's transaction.
    run_batch: Callable[[list, object], None]
    #: ngettext_lazy texts with a `count` placeholder.
    question: str | Promise
    done: str | Promise
    danger: bool = False
    #: How many chosen rows the action would change but the member acting may
    #: not (they are left out, and the confirmation says so); None: no such rows.
    refused: Callable[[QuerySet, object], int] | None = None
    #: ngettext_lazy text with a `count` placeholder saying why refused rows are
    #: left out; None: "you may not change them".
    refused_note: str | Promise | None = None
    #: ngettext_lazy text with a `count` placeholder for ticked rows the action
    #: would not change (gone, or already as asked); None: not mentioned.
    skipped_note: str | Promise | None = None
    #: Past this many rows the action becomes a job, if fewer than IN_REQUEST_LIMIT
    #: (an action that saves row by row); None: IN_REQUEST_LIMIT.
    in_request_limit: int | None = None


class IdListField(forms.Field):
    """Record ids from repeated parameters; anything that is not a positive integer is dropped."""

    widget = forms.MultipleHiddenInput

    def __init__(self, *, max_ids: int = 1000, **kwargs):
        self.max_ids = max_ids
        super().__init__(**kwargs)

    def to_python(self, value) -> list[int]:
        raw = value if isinstance(value, list | tuple) else [value] if value else []
        ids = []
        for item in raw:
            try:
                number = int(item)
            except (TypeError, ValueError):
                continue
            if 0 < number < 2**63 and number not in ids:
                ids.append(number)
        return ids[: self.max_ids]


class BulkActionForm(forms.Form):
    SELECTED, ALL = "selected", "all"

    error_messages = {
        "nothing_selected": _("Tick at least one row, or act on all rows matching the filter."),
    }

    action = forms.ChoiceField(label=_("Action"))
    ids = IdListField(required=False)
    scope = forms.ChoiceField(
        choices=((SELECTED, _("Selected rows")), (ALL, _("All matching"))),
        required=False,
        widget=forms.HiddenInput,
    )
    #: The list's query string, to act on "all matching" and to return to the list.
    query = forms.CharField(required=False, max_length=4000, widget=forms.HiddenInput)
    #: How many rows the confirmation page announced.
    expected = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, actions: dict[str, BulkAction], **kwargs):
        super().__init__(*args, **kwargs)
        self.actions = actions
        self.fields["action"].choices = [(a.key, a.label) for a in actions.values()]

    def clean_scope(self) -> str:
        return self.cleaned_data["scope"] or self.SELECTED

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("scope") == self.SELECTED and not cleaned.get("ids"):
            raise forms.ValidationError(
                self.error_messages["nothing_selected"], code="nothing_selected"
            )
        return cleaned

    @property
    def chosen_action(self) -> BulkAction:
        return self.actions[self.cleaned_data["action"]]


def bulk_params(form: BulkActionForm) -> dict:
    """What a bulk job needs to find its rows again, as JSON."""
    data = form.cleaned_data
    return {
        "action": data["action"],
        "scope": data["scope"],
        "query": data["query"],
        "ids": data["ids"],
    }


def bulk_job_kind(
    *,
    key: str,
    label: str | Promise,
    actions: dict[str, BulkAction],
    targets: Callable[..., QuerySet],
) -> JobKind:
    """Register the job kind that runs a list's bulk actions, batch by batch.

    Each batch takes the next JOBS_BATCH_SIZE pending rows after the cursor, in
    id order, locked, and runs the action on them; the filter is applied again
    for every batch, so a row changed meanwhile by someone else is left as
    they left it. `targets(params=...)` returns the chosen rows from the
    parameters bulk_params() made.
    """

    def batch(*, job, owner, cursor) -> BatchResult:
        action = actions[job.params["action"]]
        pending = action.pending(targets(params=job.params), owner)
        size = settings.JOBS_BATCH_SIZE
        rows = list(
            pending.select_related(None)
            .filter(pk__gt=cursor or 0)
            .order_by("pk")
            .select_for_update(of=("self",))[:size]
        )
        if rows:
            action.run_batch(rows, owner)
        more = len(rows) == size
        return BatchResult(rows=len(rows), cursor=rows[-1].pk if more else None)

    return register(
        JobKind(
            key=key,
            label=label,
            permissions=lambda params: (actions[params["action"]].permission,),
            batch=batch,
            outcome=lambda job: actions[job.params["action"]].done % {"count": job.done},
        )
    )
