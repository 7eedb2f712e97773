from django import forms
from django.contrib.auth import get_user_model
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from camp.records.locking import VersionedFormMixin

from .models import Post


def author_widget(widget_class: type[forms.TextInput] = forms.TextInput) -> forms.TextInput:
    """A text box for usernames that suggests them as you type (static/js/camp.js).

    The page must hold `<datalist id="author-suggestions">`.
    """
    return widget_class(
        attrs={
            "autocomplete": "off",
            "data-autocomplete-url": reverse_lazy("users:autocomplete"),
            "list": "author-suggestions",
        }
    )


class AuthorField(forms.ModelChoiceField):
    """Pick the author by username in a text box.

    A <select> of every user does not scale to 100,000 users; a text input
    with suggestions does, and still works without JavaScript.
    """

    default_error_messages = {
        "invalid_choice": _("No user with that username exists."),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", author_widget())
        super().__init__(
            queryset=get_user_model().objects.all(), to_field_name="username", **kwargs
        )


class PostForm(VersionedFormMixin, forms.ModelForm):
    author = AuthorField(
        label=_("Author"), help_text=_("Username of the author; type to get suggestions.")
    )

    class Meta:
        model = Post
        fields = ("title", "content", "status", "author")
        widgets = {"content": forms.Textarea(attrs={"rows": 12})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The instance gives the author's id, but the text box holds a username:
        # shown as the id, an unchanged edit form would fail to save.
        if self.instance.author_id and self.initial.get("author") == self.instance.author_id:
            self.initial["author"] = self.instance.author.username


class PostAdminForm(VersionedFormMixin, forms.ModelForm):
    class Meta:
        model = Post
        fields = ("title", "content", "status", "author")


class PostImportForm(forms.ModelForm):
    """One row of a post import: the same fields and checks as the post form, no version."""

    author = AuthorField(label=_("Author"))

    class Meta:
        model = Post
        fields = ("title", "content", "status", "author")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Compare usernames with usernames, so an unchanged row reads as unchanged.
        if self.instance.author_id:
            self.initial["author"] = self.instance.author.username
