from collections.abc import Iterable
from functools import lru_cache

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Permission
from django.db.models import Q


def permissions_named(names: Iterable[str]) -> list[Permission]:
    """Return the permissions named as "app_label.codename", failing on a typo."""
    names = set(names)
    if not names:
        return []
    wanted = Q()
    for name in names:
        app_label, codename = name.split(".")
        wanted |= Q(content_type__app_label=app_label, codename=codename)
    found = list(Permission.objects.filter(wanted).select_related("content_type"))
    missing = names - {f"{p.content_type.app_label}.{p.codename}" for p in found}
    if missing:
        raise ValueError(f"No such permissions: {sorted(missing)}")
    return found


@lru_cache
def hashed_password(raw: str) -> str:
    """Hash each distinct test password once: full-strength PBKDF2 costs a user ~0.3 s."""
    return make_password(raw)


class UserFactory(factory.django.DjangoModelFactory):
    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    name = factory.Faker("name")
    password = factory.django.Password("camp-test-password", transform=hashed_password)

    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    @factory.post_generation
    def permissions(self, create, extracted, **kwargs):
        """Grant `permissions=("posts.view_post", ...)`."""
        if create and extracted:
            self.user_permissions.add(*permissions_named(extracted))


class StaffUserFactory(UserFactory):
    is_staff = True
