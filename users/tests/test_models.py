import pytest
from django.db import IntegrityError

from users.models import User

from .factories import UserFactory

pytestmark = pytest.mark.django_db


def test_emails_differing_only_in_case_are_refused_by_the_database():
    UserFactory(email="Hanako@Example.com")

    with pytest.raises(IntegrityError):
        User.objects.create(username="other", email="hanako@example.COM")


def test_duplicate_usernames_are_refused_by_the_database():
    UserFactory(username="hanako")

    with pytest.raises(IntegrityError):
        User.objects.create(username="hanako", email="someone-else@example.com")


def test_date_joined_is_timezone_aware():
    user = UserFactory()

    user.refresh_from_db()
    assert user.date_joined.tzinfo is not None


def test_str_is_username():
    assert str(UserFactory.build(username="taro")) == "taro"


def test_get_absolute_url_points_at_the_dashboard_detail():
    user = UserFactory()

    assert user.get_absolute_url() == f"/users/{user.pk}/"
