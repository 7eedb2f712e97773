"""Two people editing the same record: the second save is refused, nothing is lost."""

import threading
import time
from http import HTTPStatus

import pytest
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from camp.records.locking import VersionConflict, save_versioned
from conftest import mark_reauthenticated
from posts.forms import PostAdminForm, PostForm
from posts.models import Post
from posts.tests.factories import PostFactory
from users.forms import UserAdminChangeForm, UserUpdateForm
from users.models import User
from users.tests.factories import StaffUserFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_editors():
    # Both have just given their password again: the user admin asks for it
    # before a save, and these tests are about the save.
    first, second = Client(), Client()
    for client, username in ((first, "alice"), (second, "bob")):
        editor = StaffUserFactory(is_superuser=True, username=username)
        client.force_login(editor)
        mark_reauthenticated(client, editor)
    return first, second


def _post_form(client, post):
    form = client.get(reverse("posts:update", args=[post.pk])).context["form"]
    return {
        "title": form["title"].value(),
        "content": form["content"].value(),
        "status": form["status"].value(),
        "author": form["author"].value(),
        "version": form["version"].value(),
    }


def test_second_dashboard_save_is_refused_and_keeps_the_input(two_editors):
    alice, bob = two_editors
    post = PostFactory(title="Original")
    alice_data, bob_data = _post_form(alice, post), _post_form(bob, post)

    assert (
        alice.post(
            reverse("posts:update", args=[post.pk]), {**alice_data, "title": "Alice's title"}
        ).status_code
        == HTTPStatus.FOUND
    )
    response = bob.post(
        reverse("posts:update", args=[post.pk]), {**bob_data, "title": "Bob's title"}
    )

    assert response.status_code == HTTPStatus.OK
    post.refresh_from_db()
    assert post.title == "Alice's title"
    text = response.text
    assert "alice changed this record" in text
    assert "Original" in text and "Alice&#x27;s title" in text
    assert response.context["form"]["title"].value() == "Bob's title"


def test_after_seeing_the_conflict_the_second_editor_can_save(two_editors):
    alice, bob = two_editors
    post = PostFactory(title="Original")
    alice_data, bob_data = _post_form(alice, post), _post_form(bob, post)
    alice.post(reverse("posts:update", args=[post.pk]), {**alice_data, "title": "A"})
    refused = bob.post(reverse("posts:update", args=[post.pk]), {**bob_data, "title": "B"})

    again = bob.post(
        reverse("posts:update", args=[post.pk]),
        {**bob_data, "title": "B", "version": refused.context["form"]["version"].value()},
    )

    assert again.status_code == HTTPStatus.FOUND
    post.refresh_from_db()
    assert post.title == "B"


def test_each_save_bumps_the_version(admin_client):
    post = PostFactory()

    admin_client.post(
        reverse("posts:update", args=[post.pk]), {**_post_form(admin_client, post), "title": "x"}
    )

    post.refresh_from_db()
    assert post.version == 2


def test_second_user_edit_is_refused(two_editors):
    alice, bob = two_editors
    user = UserFactory(name="Original")

    def form(client):
        f = client.get(reverse("users:update", args=[user.pk])).context["form"]
        return {name: f[name].value() for name in ("username", "email", "name", "version")}

    alice_data, bob_data = form(alice), form(bob)
    alice.post(reverse("users:update", args=[user.pk]), {**alice_data, "name": "Alice's"})
    response = bob.post(reverse("users:update", args=[user.pk]), {**bob_data, "name": "Bob's"})

    assert response.status_code == HTTPStatus.OK
    assert User.objects.get(pk=user.pk).name == "Alice's"
    assert response.context["form"]["name"].value() == "Bob's"


def test_second_admin_save_is_refused(two_editors):
    alice, bob = two_editors
    post = PostFactory(title="Original")
    url = reverse("admin:posts_post_change", args=[post.pk])
    data = {
        "title": post.title,
        "content": post.content,
        "status": post.status,
        "author": post.author_id,
        "version": post.version,
    }
    assert alice.post(url, {**data, "title": "Alice's"}).status_code == HTTPStatus.FOUND

    response = bob.post(url, {**data, "title": "Bob's"})

    assert response.status_code == HTTPStatus.OK
    assert Post.objects.get(pk=post.pk).title == "Alice's"
    assert "alice changed this record" in response.text
    assert 'value="Bob&#x27;s"' in response.text


def test_a_bulk_status_change_refuses_an_older_edit_form(admin_client):
    post = PostFactory(title="Original", status=Post.Status.DRAFT)
    stale = _post_form(admin_client, post)
    admin_client.post(
        reverse("admin:posts_post_changelist"),
        {"action": "publish", "_selected_action": [post.pk]},
    )

    response = admin_client.post(reverse("posts:update", args=[post.pk]), stale)

    assert response.status_code == HTTPStatus.OK
    assert Post.objects.get(pk=post.pk).status == Post.Status.PUBLISHED


def test_editing_a_deleted_record_says_so(admin_client):
    post = PostFactory()
    data = _post_form(admin_client, post)
    Post.objects.filter(pk=post.pk).delete()

    response = admin_client.post(reverse("posts:update", args=[post.pk]), data)

    assert response.status_code == HTTPStatus.NOT_FOUND


# A real race: both saves pass validation, then meet at the row. The hook runs
# the other editor's whole request, on its own connection and committed,
# between this one's clean() and save(); the tests commit, so they use
# transactional databases.


def _on_own_connection(work):
    """Run `work` in a thread, hence on a connection of its own, and return its result."""
    outcome = {}

    def run():
        try:
            outcome["result"] = work()
        except BaseException as error:  # re-raised in the test's thread
            outcome["error"] = error
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]


@pytest.fixture
def race(monkeypatch):
    """Return a function arming `form_class` so its next clean() lets `other_save()` win first."""

    def arm(form_class, other_save) -> list:
        original = form_class.clean
        pending, answers = [other_save], []

        def clean(self):
            cleaned = original(self)
            if pending and not self.errors:
                answers.append(_on_own_connection(pending.pop()))
            return cleaned

        monkeypatch.setattr(form_class, "clean", clean)
        return answers

    return arm


def _user_form(client, user):
    form = client.get(reverse("users:update", args=[user.pk])).context["form"]
    return {name: form[name].value() for name in ("username", "email", "name", "version")}


def _post_admin_data(post) -> dict:
    return {
        "title": post.title,
        "content": post.content,
        "status": post.status,
        "author": post.author_id,
        "version": post.version,
    }


def _user_admin_data(user) -> dict:
    joined = timezone.localtime(user.date_joined)
    return {
        "username": user.username,
        "email": user.email,
        "name": user.name,
        "is_active": "on",
        "date_joined_0": joined.strftime("%Y-%m-%d"),
        "date_joined_1": joined.strftime("%H:%M:%S"),
        "version": user.version,
    }


@pytest.mark.django_db(transaction=True)
def test_a_dashboard_save_losing_the_race_shows_the_conflict(two_editors, race):
    alice, bob = two_editors
    post = PostFactory(title="Original")
    url = reverse("posts:update", args=[post.pk])
    alice_data, bob_data = _post_form(alice, post), _post_form(bob, post)
    other = race(PostForm, lambda: alice.post(url, {**alice_data, "title": "Alice's title"}))

    response = bob.post(url, {**bob_data, "title": "Bob's title"})

    assert [answer.status_code for answer in other] == [HTTPStatus.FOUND]
    assert response.status_code == HTTPStatus.OK
    post.refresh_from_db()
    assert (post.title, post.version) == ("Alice's title", 2)
    assert "alice changed this record" in response.text
    assert response.context["form"]["title"].value() == "Bob's title"
    assert response.context["form"]["version"].value() == 2


@pytest.mark.django_db(transaction=True)
def test_a_dashboard_user_save_losing_the_race_shows_the_conflict(two_editors, race):
    alice, bob = two_editors
    user = UserFactory(name="Original")
    url = reverse("users:update", args=[user.pk])
    alice_data, bob_data = _user_form(alice, user), _user_form(bob, user)
    other = race(UserUpdateForm, lambda: alice.post(url, {**alice_data, "name": "Alice's"}))

    response = bob.post(url, {**bob_data, "name": "Bob's"})

    assert [answer.status_code for answer in other] == [HTTPStatus.FOUND]
    assert response.status_code == HTTPStatus.OK
    assert User.objects.get(pk=user.pk).name == "Alice's"
    assert "alice changed this record" in response.text
    assert response.context["form"]["name"].value() == "Bob's"


@pytest.mark.django_db(transaction=True)
def test_a_post_admin_save_losing_the_race_shows_the_conflict(two_editors, race):
    alice, bob = two_editors
    post = PostFactory(title="Original")
    url = reverse("admin:posts_post_change", args=[post.pk])
    data = _post_admin_data(post)
    other = race(PostAdminForm, lambda: alice.post(url, {**data, "title": "Alice's"}))

    response = bob.post(url, {**data, "title": "Bob's"})

    assert [answer.status_code for answer in other] == [HTTPStatus.FOUND]
    assert response.status_code == HTTPStatus.OK
    post.refresh_from_db()
    assert (post.title, post.version) == ("Alice's", 2)
    assert "alice changed this record" in response.text
    assert 'value="Bob&#x27;s"' in response.text
    assert post.history.filter(history_user__username="bob").count() == 0


@pytest.mark.django_db(transaction=True)
def test_a_user_admin_save_losing_the_race_shows_the_conflict(two_editors, race):
    alice, bob = two_editors
    user = UserFactory(name="Original")
    url = reverse("admin:users_user_change", args=[user.pk])
    data = _user_admin_data(user)
    other = race(UserAdminChangeForm, lambda: alice.post(url, {**data, "name": "Alice's"}))

    response = bob.post(url, {**data, "name": "Bob's"})

    assert [answer.status_code for answer in other] == [HTTPStatus.FOUND]
    assert response.status_code == HTTPStatus.OK
    user.refresh_from_db()
    assert (user.name, user.version) == ("Alice's", 2)
    assert "alice changed this record" in response.text
    assert 'value="Bob&#x27;s"' in response.text


@pytest.mark.django_db(transaction=True)
def test_a_dashboard_save_racing_a_delete_says_the_record_was_deleted(two_editors, race):
    alice, bob = two_editors
    post = PostFactory(title="Original")
    bob_data = _post_form(bob, post)
    other = race(PostForm, lambda: alice.post(reverse("posts:delete", args=[post.pk])))

    response = bob.post(reverse("posts:update", args=[post.pk]), {**bob_data, "title": "Bob's"})

    assert [answer.status_code for answer in other] == [HTTPStatus.FOUND]
    assert response.status_code == HTTPStatus.OK
    assert not Post.objects.filter(pk=post.pk).exists()
    assert "This record was deleted while you were editing it." in response.text
    assert response.context["form"]["title"].value() == "Bob's"


@pytest.mark.django_db(transaction=True)
def test_an_admin_save_racing_a_delete_is_sent_back_without_an_error(two_editors, race):
    alice, bob = two_editors
    post = PostFactory(title="Original")
    url = reverse("admin:posts_post_change", args=[post.pk])
    delete_url = reverse("admin:posts_post_delete", args=[post.pk])
    other = race(PostAdminForm, lambda: alice.post(delete_url, {"post": "yes"}))

    response = bob.post(url, {**_post_admin_data(post), "title": "Bob's"})

    assert [answer.status_code for answer in other] == [HTTPStatus.FOUND]
    assert response.status_code == HTTPStatus.FOUND
    assert not Post.objects.filter(pk=post.pk).exists()
    assert response["Location"] == reverse("admin:index")


def test_second_user_admin_save_is_refused(two_editors):
    alice, bob = two_editors
    user = UserFactory(name="Original")
    url = reverse("admin:users_user_change", args=[user.pk])
    data = _user_admin_data(user)
    assert alice.post(url, {**data, "name": "Alice's"}).status_code == HTTPStatus.FOUND

    response = bob.post(url, {**data, "name": "Bob's"})

    assert response.status_code == HTTPStatus.OK
    user.refresh_from_db()
    assert (user.name, user.version) == ("Alice's", 2)
    assert "alice changed this record" in response.text


def test_a_user_bulk_action_bumps_the_version_and_refuses_an_older_edit_form(admin_client):
    user = UserFactory(name="Original", is_active=True)
    stale = _user_form(admin_client, user)

    response = admin_client.post(
        reverse("users:bulk"),
        {
            "action": "deactivate",
            "ids": [user.pk],
            "scope": "selected",
            "expected": 1,
            "confirm": "on",
        },
    )
    refused = admin_client.post(reverse("users:update", args=[user.pk]), stale)

    assert response.status_code == HTTPStatus.FOUND
    user.refresh_from_db()
    assert (user.is_active, user.version) == (False, 2)
    assert refused.status_code == HTTPStatus.OK
    assert refused.context["form"].non_field_errors()


@pytest.mark.django_db(transaction=True)
def test_save_versioned_waits_for_the_row_lock_and_refuses_the_loser():
    """Two connections: the loser read the version before the winner committed."""
    post = PostFactory(title="Original")
    outcome = {}

    def loser():
        try:
            with transaction.atomic():
                rival = Post.objects.get(pk=post.pk)
                rival.title = "Loser"
                save_versioned(rival, expected=1)
            outcome["saved"] = True
        except VersionConflict as conflict:
            outcome["conflict"] = conflict.current.version
        finally:
            connection.close()

    with transaction.atomic():
        winner = Post.objects.get(pk=post.pk)
        winner.title = "Winner"
        save_versioned(winner, expected=1)
        thread = threading.Thread(target=loser)
        thread.start()
        _wait_until_a_backend_waits_for_a_lock(thread)
    thread.join()

    assert outcome == {"conflict": 2}
    post.refresh_from_db()
    assert (post.title, post.version) == ("Winner", 2)


def _wait_until_a_backend_waits_for_a_lock(thread: threading.Thread) -> None:
    with connection.cursor() as cursor:
        for _ in range(2000):
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0] or not thread.is_alive():
                return
            time.sleep(0.005)
    pytest.fail("the second connection never reached the locked row")
