from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from camp.models import SavedView


class SavedViewForm(forms.ModelForm):
    """Name a list's current view, share it, make it the default."""

    error_messages = {
        "duplicate_name": _("You already have a view of this list with that name."),
    }

    class Meta:
        model = SavedView
        fields = ("name", "shared", "is_default")

    def __init__(self, *args, owner, list_name: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.owner = owner
        self.instance.list_name = list_name

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        others = SavedView.objects.filter(
            owner=self.instance.owner, list_name=self.instance.list_name, name=name
        )
        if self.instance.pk:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise forms.ValidationError(
                self.error_messages["duplicate_name"], code="duplicate_name"
            )
        return name


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _(
            "UTF-8 or Shift_JIS, at most %(size)d MB; the first row names the columns."
        ) % {"size": settings.IMPORT_MAX_BYTES // 2**20}
