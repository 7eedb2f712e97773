"""What the user and post lists share: saved views, bulk actions, export and import.

Each app's views subclass these, naming its selectors, services, columns and
templates in class attributes.
"""

from collections.abc import Callable
from functools import cached_property
from http import HTTPStatus

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpResponse, HttpResponseRedirect, QueryDict
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import resolve_url
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from django.views.generic import FormView, TemplateView

from camp.audit.services import audit_bulk_action, audit_client, audit_export
from camp.jobs.services import job_enqueue
from camp.records.mixins import StaffRequiredMixin

from .bulk import IN_REQUEST_LIMIT, PREVIEW_ROWS, BulkAction, BulkActionForm, bulk_params
from .columns import Columns
from .exporting import (
    XLSX_LIMIT,
    csv_response,
    export_filename,
    export_header,
    export_rows,
    xlsx_response,
)
from .filters import list_href, list_query
from .forms import ImportUploadForm, SavedViewForm
from .import_jobs import IMPORT_LABEL, PREVIEW_LABEL, ImportPreview, import_params, preview_kind
from .importing import MAX_IMPORT_BYTES, Importer, ImportFileError, too_large_message
from .page_cache import CSRF_PLACEHOLDER, list_page_cached, list_page_key, list_page_store
from .preferences import DENSITIES, PER_PAGE_CHOICES, ListPreferences, list_preferences
from .selectors import (
    import_preview_job,
    pending_import,
    saved_view_owned,
    saved_view_visible,
    saved_views,
)
from .services import (
    pending_import_create,
    pending_import_enqueue,
    pending_import_preview,
    saved_view_delete,
    saved_view_save,
)


def error_messages(request, form) -> None:
    """Show a form's errors as messages, for a form posted from another page."""
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)


class ListPageMixin:
    """A list page: opens saved views, shows chips, columns, saved views and bulk actions.

    `?view=<id>` opens a saved view; a list opened with no query at all opens
    the member's default view for it, if they have one.
    """

    list_name: str
    columns: Columns
    bulk_actions: dict[str, BulkAction] = {}
    #: Seconds a rendered page may be served again (camp.lists.page_cache); None: the setting's.
    page_cache_seconds: int | None = None

    def get(self, request, *args, **kwargs):
        # A stored page was stored with no saved view to open first, and writing
        # a saved view starts a new generation: a hit needs no look at them.
        self.page_key = list_page_key(
            request,
            list_name=self.list_name,
            preferences=self.preferences,
            seconds=self.page_cache_seconds,
        )
        if self.page_key and (html := list_page_cached(request, self.page_key)) is not None:
            return HttpResponse(html)
        if redirect := self.saved_view_redirect():
            return redirect
        response = super().get(request, *args, **kwargs)
        if self.page_key:
            response.add_post_render_callback(self._store_page)
        return response

    def _store_page(self, response) -> None:
        html = list_page_store(
            self.request, self.page_key, response.content.decode(), seconds=self.page_cache_seconds
        )
        response.content = html.encode()

    def saved_view_redirect(self) -> HttpResponse | None:
        params, user = self.request.GET, self.request.user
        if "view" in params:
            saved = saved_view_visible(user=user, list_name=self.list_name, pk=params["view"])
            if saved is None:
                messages.error(self.request, _("There is no such saved view."))
            query = saved.query if saved else list_query(params)
            return HttpResponseRedirect(self.request.path + list_href(query))
        if not params:
            saved = next(
                (v for v in self.saved_views if v.owner_id == user.pk and v.is_default), None
            )
            if saved is not None and saved.query:
                return HttpResponseRedirect(self.request.path + list_href(saved.query))
        return None

    @cached_property
    def preferences(self) -> ListPreferences:
        return list_preferences(self.request, self.list_name)

    def get_paginate_by(self, queryset) -> int:
        return self.preferences.per_page

    @cached_property
    def saved_views(self) -> list:
        """The saved views this member may open, read once per request."""
        return saved_views(user=self.request.user, list_name=self.list_name)

    def get_context_data(self, **kwargs):
        params, user = self.request.GET, self.request.user
        chips = self.filterset.chips()
        return super().get_context_data(
            filterset=self.filterset,
            chips=chips,
            # The search box stays in view; the panel counts the other filters in use.
            panel_filter_count=sum(1 for chip in chips if chip.key != "q"),
            list_name=self.list_name,
            list_prefs=self.preferences,
            per_page_choices=PER_PAGE_CHOICES,
            densities=DENSITIES,
            shown=[column.key for column in self.columns.shown(params)],
            columns_form=self.columns.form(params),
            list_query=list_query(params),
            saved_views=self.saved_views,
            saved_view_form=SavedViewForm(
                owner=user, list_name=self.list_name, auto_id="save_view_%s"
            ),
            bulk_actions=[a for a in self.bulk_actions.values() if user.has_perm(a.permission)],
            # A page to be stored gets the request's own token when served.
            **({"csrf_token": CSRF_PLACEHOLDER} if getattr(self, "page_key", None) else {}),
            **kwargs,
        )


class SavedViewsView(StaffRequiredMixin, TemplateView):
    """GET: the saved views of a list, to open or manage. POST: save the list's current view."""

    template_name = "saved_views.html"
    list_name = ""
    list_url = ""

    def get_context_data(self, **kwargs):
        user = self.request.user
        views = saved_views(user=user, list_name=self.list_name)
        own = [
            (
                view,
                SavedViewForm(
                    instance=view,
                    owner=user,
                    list_name=self.list_name,
                    auto_id=f"view_{view.pk}_%s",
                ),
            )
            for view in views
            if view.owner_id == user.pk
        ]
        return super().get_context_data(
            own=own,
            shared=[view for view in views if view.owner_id != user.pk],
            list_name=self.list_name,
            list_url=resolve_url(self.list_url),
            **kwargs,
        )

    def post(self, request, *args, **kwargs):
        query = list_query(QueryDict(request.POST.get("query", "")[:4000]))
        form = SavedViewForm(request.POST, owner=request.user, list_name=self.list_name)
        list_url = resolve_url(self.list_url)
        if not form.is_valid():
            error_messages(request, form)
            return HttpResponseRedirect(list_url + list_href(query))
        form.instance.query = query
        view = saved_view_save(view=form.instance)
        messages.success(request, _("The view “%(name)s” was saved.") % {"name": view.name})
        return HttpResponseRedirect(list_url + list_href(query))


class SavedViewChangeView(StaffRequiredMixin, View):
    """Rename, share or make default a saved view of one's own."""

    http_method_names = ["post"]
    list_name = ""
    manage_url = ""

    def post(self, request, *args, **kwargs):
        manage_url = resolve_url(self.manage_url)
        view = saved_view_owned(
            user=request.user, list_name=self.list_name, pk=request.POST.get("view", "")
        )
        if view is None:
            messages.error(request, _("Only the owner of a saved view can change it."))
            return HttpResponseRedirect(manage_url)
        form = SavedViewForm(
            request.POST, instance=view, owner=request.user, list_name=self.list_name
        )
        if form.is_valid():
            saved_view_save(view=form.instance)
            messages.success(request, _("The view “%(name)s” was saved.") % {"name": view.name})
        else:
            error_messages(request, form)
        return HttpResponseRedirect(manage_url)


class SavedViewDeleteView(StaffRequiredMixin, View):
    """Delete a saved view of one's own."""

    http_method_names = ["post"]
    list_name = ""
    manage_url = ""

    def post(self, request, *args, **kwargs):
        view = saved_view_owned(
            user=request.user, list_name=self.list_name, pk=request.POST.get("view", "")
        )
        if view is None:
            messages.error(request, _("Only the owner of a saved view can delete it."))
        else:
            saved_view_delete(view=view)
            messages.success(request, _("The view “%(name)s” was deleted.") % {"name": view.name})
        return HttpResponseRedirect(resolve_url(self.manage_url))


class AnyPermissionMixin:
    """Let in staff holding any one of `permission_any`; each action checks its own."""

    permission_any: tuple[str, ...] = ()

    def has_permission(self) -> bool:
        user = self.request.user
        return super().has_permission() and any(map(user.has_perm, self.permission_any))


def refused_message(count: int) -> str:
    return ngettext(
        "%(count)d row was left out: you may not change it.",
        "%(count)d rows were left out: you may not change them.",
        count,
    ) % {"count": count}


def refused_text(action: BulkAction, count: int) -> str:
    """Why `count` rows the action would change are left out."""
    if action.refused_note is None:
        return refused_message(count)
    return action.refused_note % {"count": count}


class BulkActionView(AnyPermissionMixin, StaffRequiredMixin, FormView):
    """Act on the ticked rows, or on all rows matching the filter, after a confirmation.

    The first POST (from the list) shows how many rows the action will
    change, and the first PREVIEW_ROWS of them; the confirming POST acts, in
    one transaction, if that count still holds, and otherwise asks again. More
    than IN_REQUEST_LIMIT rows become a background job of `job_kind`, and the
    answer is its page.
    """

    http_method_names = ["post"]
    form_class = BulkActionForm
    actions: dict[str, BulkAction]
    list_url: str
    #: The camp.jobs kind that runs this list's big bulk actions.
    job_kind: str
    #: The list's name in a job's label, e.g. "posts".
    rows_name: str
    #: `preview_rows(rows=pending, limit=n)`: the first n rows the action will
    #: change, in the list's order, with what `preview_template` shows joined.
    preview_rows: Callable[..., list]
    #: The head and body of the confirmation's table of those rows.
    preview_template: str

    def targets(self, form: BulkActionForm) -> QuerySet:
        """The rows chosen: all matching `form.cleaned_data["query"]`, or the ticked ids."""
        raise NotImplementedError

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "actions": self.actions}

    def back(self, query: str) -> HttpResponseRedirect:
        return HttpResponseRedirect(resolve_url(self.list_url) + list_href(query))

    def form_invalid(self, form):
        error_messages(self.request, form)
        return self.back(list_query(QueryDict(form.data.get("query", "")[:4000])))

    def form_valid(self, form):
        action = form.chosen_action
        if not self.request.user.has_perm(action.permission):
            raise PermissionDenied
        query = list_query(QueryDict(form.cleaned_data["query"]))
        targets = self.targets(form)
        pending = action.pending(targets, self.request.user)
        count = pending.count()
        refused = action.refused(targets, self.request.user) if action.refused else 0
        expected = form.cleaned_data["expected"]
        if not form.cleaned_data["confirm"] or expected != count:
            return self.confirmation(form, action, pending, count, refused, query)
        if count > min(IN_REQUEST_LIMIT, action.in_request_limit or IN_REQUEST_LIMIT):
            job = job_enqueue(
                kind=self.job_kind,
                owner=self.request.user,
                label=_("%(action)s %(count)d %(rows)s")
                % {"action": action.label, "count": count, "rows": self.rows_name},
                params=bulk_params(form),
                total=count,
            )
            audit_bulk_action(
                request=self.request, action=action.key, model=targets.model, rows=count
            )
            if refused:
                messages.warning(self.request, refused_text(action, refused))
            return HttpResponseRedirect(job.get_absolute_url())
        done = action.run(targets, self.request.user)
        audit_bulk_action(request=self.request, action=action.key, model=targets.model, rows=done)
        messages.success(self.request, action.done % {"count": done})
        if refused:
            messages.warning(self.request, refused_text(action, refused))
        return self.back(query)

    def confirmation(self, form, action, pending, count: int, refused: int, query: str):
        """The page asking to confirm: the count, the first rows, and what is left out."""
        expected = form.cleaned_data["expected"]
        rows = self.preview_rows(rows=pending, limit=PREVIEW_ROWS) if count else []
        skipped = 0
        if action.skipped_note is not None and form.cleaned_data["scope"] == form.SELECTED:
            skipped = len(form.cleaned_data["ids"]) - count - refused
        return self.render_to_response(
            self.get_context_data(
                form=form,
                action=action,
                count=count,
                question=action.question % {"count": count},
                changed_since=expected is not None and expected != count,
                refused_note=refused_text(action, refused) if refused else "",
                skipped_note=action.skipped_note % {"count": skipped} if skipped > 0 else "",
                preview=rows,
                preview_more=max(count - len(rows), 0),
                preview_template=self.preview_template,
                query=query,
                list_url=resolve_url(self.list_url) + list_href(query),
            )
        )


class ExportView(StaffRequiredMixin, View):
    """The list as the filter, search, sort and columns of the URL show it, as a file.

    An XLSX past XLSX_LIMIT rows is written by a background job of
    `xlsx_job_kind`, and the answer is the job's page.
    """

    http_method_names = ["get"]
    list_name: str
    columns: Columns
    fmt = "csv"
    list_url: str
    xlsx_job_kind: str

    def get_queryset(self) -> QuerySet:
        raise NotImplementedError

    def get(self, request, *args, **kwargs):
        columns = self.columns.shown(request.GET)
        queryset = self.get_queryset()
        header, filename = export_header(columns), export_filename(self.list_name)
        if self.fmt == "xlsx":
            audit_export(
                request=request,
                list_name=self.list_name,
                fmt="xlsx",
                filters=list_query(request.GET),
            )
            if queryset[: XLSX_LIMIT + 1].count() > XLSX_LIMIT:
                job = job_enqueue(
                    kind=self.xlsx_job_kind,
                    owner=request.user,
                    label=_("XLSX export of %(list)s") % {"list": self.list_name},
                    params={"query": request.GET.urlencode(), "filename": filename},
                    total=queryset.count(),
                )
                return HttpResponseRedirect(job.get_absolute_url())
            return xlsx_response(
                header=header, rows=export_rows(queryset, columns), filename=filename
            )
        audit_export(
            request=request,
            list_name=self.list_name,
            fmt="csv",
            filters=list_query(request.GET),
        )
        return csv_response(header=header, rows=export_rows(queryset, columns), filename=filename)


#: What a multipart body may carry besides the file itself (boundaries, headers, token).
MULTIPART_OVERHEAD = 64 * 1024


def _csrf_refusal(request) -> HttpResponse | None:
    """Check the CSRF token as the middleware would; the 403 response if it fails, else None."""
    return CsrfViewMiddleware(lambda request: None).process_view(
        request, lambda request: None, (), {}
    )


# The CSRF middleware would read the whole body (the token is in it) before the
# view could look at its size: the import views check the size, then the token.
@method_decorator(csrf_exempt, name="dispatch")
class ImportView(StaffRequiredMixin, FormView):
    """Upload a CSV, then watch its preview (a job): what importing it would do, nothing written.

    The upload is read and stored in the request; the page then shows the
    preview job `?preview=<id>`, refreshing itself until the job is done.
    """

    form_class = ImportUploadForm
    list_name = ""
    list_url = ""
    #: The key of the list's import job kind (camp.lists.import_jobs); its preview's is beside it.
    import_job_kind: str

    def get_importer(self) -> Importer:
        raise NotImplementedError

    @cached_property
    def preview_job(self):
        return import_preview_job(
            user=self.request.user,
            kind=preview_kind(self.import_job_kind),
            pk=self.request.GET.get("preview", ""),
        )

    def get_context_data(self, **kwargs):
        job, pending, result = self.preview_job, None, None
        if job is not None:
            pending = pending_import(
                user=self.request.user, list_name=self.list_name, pk=job.params["pending"]
            )
            if job.state == job.State.DONE:
                result = ImportPreview.from_job(job)
        return super().get_context_data(
            list_url=resolve_url(self.list_url), job=job, pending=pending, result=result, **kwargs
        )

    def post(self, request, *args, **kwargs):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > MAX_IMPORT_BYTES + MULTIPART_OVERHEAD:
            # Refused from the length the request announces, before its body is read.
            form = self.get_form_class()(data={}, files={})
            form.errors["file"] = form.error_class([too_large_message()])
            return self.render_to_response(
                self.get_context_data(form=form), status=HTTPStatus.REQUEST_ENTITY_TOO_LARGE
            )
        refusal = _csrf_refusal(request)
        if refusal is not None:
            return refusal
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        upload = form.cleaned_data["file"]
        try:
            pending = pending_import_create(
                owner=self.request.user,
                list_name=self.list_name,
                upload=upload,
                importer=self.get_importer(),
            )
        except ImportFileError as error:
            form.add_error("file", str(error))
            return self.form_invalid(form)
        job = pending_import_preview(
            pending=pending,
            kind=preview_kind(self.import_job_kind),
            owner=self.request.user,
            label=PREVIEW_LABEL % {"file": pending.filename},
            params=import_params(pending=pending, client=audit_client(self.request)),
        )
        return HttpResponseRedirect(f"{self.request.path}?preview={job.pk}")


class ImportConfirmView(ImportView):
    """Queue the import of an upload whose preview found no errors, and go to the job's page."""

    http_method_names = ["post"]
    import_url: str

    def post(self, request, *args, **kwargs):
        refusal = _csrf_refusal(request)
        if refusal is not None:
            return refusal
        pending = pending_import(
            user=request.user, list_name=self.list_name, pk=request.POST.get("pending", "")
        )
        if pending is None or not pending.checked:
            messages.error(request, _("That upload is gone: upload the file again."))
            return HttpResponseRedirect(resolve_url(self.import_url))
        job = pending_import_enqueue(
            pending=pending,
            kind=self.import_job_kind,
            owner=request.user,
            label=IMPORT_LABEL % {"file": pending.filename},
            params=import_params(pending=pending, client=audit_client(request)),
        )
        return HttpResponseRedirect(job.get_absolute_url())
