from django import forms
from django.contrib.auth import forms as auth_forms
from django.utils.translation import gettext_lazy as _

from camp.records.locking import VersionedFormMixin

from .models import User


class UniqueEmailMixin:
    """Show a duplicate email, in any letter case, as an error on the email field.

    The database constraint is what guarantees uniqueness; this only puts the
    message where the person typing will look for it.
    """

    error_messages = {
        "duplicate_email": _("A user with that email address already exists."),
    }

    def clean_email(self) -> str:
        email = User.objects.normalize_email(self.cleaned_data["email"])
        others = User.objects.filter(email__iexact=email)
        if self.instance.pk:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise forms.ValidationError(
                self.error_messages["duplicate_email"], code="duplicate_email"
            )
        return email


class UserAdminCreationForm(UniqueEmailMixin, auth_forms.AdminUserCreationForm):
    error_messages = {
        **auth_forms.AdminUserCreationForm.error_messages,
        **UniqueEmailMixin.error_messages,
    }

    class Meta(auth_forms.AdminUserCreationForm.Meta):
        model = User
        fields = ("username", "email", "name")


class UserAdminChangeForm(VersionedFormMixin, UniqueEmailMixin, auth_forms.UserChangeForm):
    class Meta(auth_forms.UserChangeForm.Meta):
        model = User


class UserCreateForm(UniqueEmailMixin, auth_forms.UserCreationForm):
    """Create a user from the dashboard: profile, staff flag and a checked password."""

    error_messages = {
        **auth_forms.UserCreationForm.error_messages,
        **UniqueEmailMixin.error_messages,
    }

    class Meta:
        model = User
        fields = ("username", "email", "name", "is_staff")
        field_classes = {"username": auth_forms.UsernameField}


class UserUpdateForm(VersionedFormMixin, UniqueEmailMixin, forms.ModelForm):
    class Meta:
        model = User
        fields = ("username", "email", "name", "is_staff")
        field_classes = {"username": auth_forms.UsernameField}


class UserSetPasswordForm(auth_forms.SetPasswordForm):
    """Set a new password, entered twice and checked by the password validators."""


class UserImportForm(UniqueEmailMixin, forms.ModelForm):
    """One row of a user import: profile and flags, never a password."""

    class Meta:
        model = User
        fields = ("username", "email", "name", "is_active", "is_staff")
        field_classes = {"username": auth_forms.UsernameField}
