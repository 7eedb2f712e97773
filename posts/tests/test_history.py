from http import HTTPStatus

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.urls import reverse

from camp.records.history import history_timeline
from posts.models import Post
from users.tests.factories import StaffUserFactory, UserFactory

from .factories import PostFactory

pytestmark = pytest.mark.django_db


def staff_with(*codenames):
    user = StaffUserFactory()
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return user


def test_dashboard_create_is_recorded_with_the_user(client):
    editor = staff_with("add_post", "view_post")
    client.force_login(editor)

    client.post(
        reverse("posts:create"),
        {"title": "New", "content": "", "status": "draft", "author": editor.username},
    )

    record = Post.history.get(title="New")
    assert record.history_type == "+"
    assert record.history_user == editor


def test_dashboard_edit_records_old_and_new_values(client):
    editor = staff_with("change_post", "view_post")
    client.force_login(editor)
    post = PostFactory(title="Before", status=Post.Status.DRAFT)

    client.post(
        reverse("posts:update", args=[post.pk]),
        {"title": "After", "content": post.content, "status": "published", "author": post.author},
    )

    newest = history_timeline(Post, post.pk)[0]
    assert newest.kind == "~"
    assert newest.user == editor
    changes = {str(c.field): (c.old, c.new) for c in newest.changes}
    assert changes["title"] == ("Before", "After")
    assert changes["status"] == ("Draft", "Published")


def test_dashboard_delete_is_recorded_with_the_user(client):
    remover = staff_with("delete_post", "view_post")
    client.force_login(remover)
    post = PostFactory()

    client.post(reverse("posts:delete", args=[post.pk]))

    record = Post.history.filter(id=post.pk).latest("history_date")
    assert record.history_type == "-"
    assert record.history_user == remover


def test_admin_change_is_recorded_with_the_admin(admin_client, admin_user):
    post = PostFactory(title="Before")

    admin_client.post(
        reverse("admin:posts_post_change", args=[post.pk]),
        {"title": "After", "content": "", "status": "draft", "author": post.author_id},
    )

    record = Post.history.filter(id=post.pk).latest("history_date")
    assert record.title == "After"
    assert record.history_user == admin_user


def test_plain_save_is_recorded_as_system():
    post = PostFactory(title="Before")
    post.title = "After"
    post.save()

    newest = history_timeline(Post, post.pk)[0]
    assert newest.user is None
    assert [(str(c.field), c.old, c.new) for c in newest.changes] == [("title", "Before", "After")]


def test_bulk_publish_records_one_entry_per_post(admin_client, admin_user):
    posts = PostFactory.create_batch(3, status=Post.Status.DRAFT)

    admin_client.post(
        reverse("admin:posts_post_changelist"),
        {"action": "publish", "_selected_action": [p.pk for p in posts]},
    )

    for post in posts:
        newest = history_timeline(Post, post.pk)[0]
        assert newest.user == admin_user
        assert [(c.old, c.new) for c in newest.changes] == [("Draft", "Published")]


def test_author_change_shows_usernames():
    post = PostFactory(author=UserFactory(username="taro"))
    post.author = UserFactory(username="hanako")
    post.save()

    newest = history_timeline(Post, post.pk)[0]
    assert [(c.old, c.new) for c in newest.changes] == [("taro", "hanako")]


def test_detail_page_shows_the_timeline(admin_client):
    post = PostFactory(title="Before")
    post.title = "After"
    post.save()

    response = admin_client.get(reverse("posts:detail", args=[post.pk]))

    assert "<del>Before</del>" in response.text
    assert "<ins>After</ins>" in response.text


def test_admin_history_shows_diffs(admin_client):
    post = PostFactory(title="Before")
    post.title = "After"
    post.save()

    response = admin_client.get(reverse("admin:posts_post_history", args=[post.pk]))

    assert "Before" in response.text
    assert "After" in response.text


def test_admin_revert_restores_the_old_values(admin_client):
    post = PostFactory(title="Original", status=Post.Status.DRAFT)
    first = post.history.earliest("history_date")
    post.title = "Vandalised"
    post.save()

    response = admin_client.post(
        reverse("admin:posts_post_simple_history", args=[post.pk, first.history_id]),
        {
            "title": first.title,
            "content": first.content,
            "status": first.status,
            "author": first.author_id,
        },
    )

    assert response.status_code == HTTPStatus.FOUND
    post.refresh_from_db()
    assert post.title == "Original"


def test_deleted_posts_are_listed_with_who_deleted_them(client):
    remover = staff_with("delete_post", "view_post")
    client.force_login(remover)
    post = PostFactory(title="Gone soon")
    client.post(reverse("posts:delete", args=[post.pk]))

    response = client.get(reverse("posts:deleted"))

    assert response.status_code == HTTPStatus.OK
    assert "Gone soon" in response.text
    assert remover.username in response.text


def test_restore_brings_a_deleted_post_back_with_its_id(client):
    client.force_login(staff_with("add_post", "view_post"))
    post = PostFactory(title="Comeback")
    pk = post.pk
    post.delete()
    record = Post.history.get(id=pk, history_type="-")

    response = client.post(reverse("posts:restore", args=[record.history_id]))

    assert response.status_code == HTTPStatus.FOUND
    assert Post.objects.get(pk=pk).title == "Comeback"
    assert response["Location"] == reverse("posts:detail", args=[pk])


def test_viewer_cannot_restore(client):
    client.force_login(staff_with("view_post"))
    post = PostFactory()
    pk = post.pk
    post.delete()
    record = Post.history.get(id=pk, history_type="-")

    response = client.post(reverse("posts:restore", args=[record.history_id]))

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert not Post.objects.filter(pk=pk).exists()


def test_restored_post_leaves_the_deleted_list(admin_client):
    post = PostFactory(title="Comeback")
    post.delete()
    record = Post.history.get(history_type="-")
    admin_client.post(reverse("posts:restore", args=[record.history_id]), follow=True)

    response = admin_client.get(reverse("posts:deleted"))

    assert "Comeback" not in response.text


def test_restore_of_an_unknown_record_explains_itself(admin_client):
    response = admin_client.post(reverse("posts:restore", args=[999999]), follow=True)

    assert response.status_code == HTTPStatus.OK
    assert "There is no deleted post with that history id." in response.text


def test_management_command_changes_are_recorded_as_system(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_USERNAME", "root")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a-long-Passphrase-42")

    call_command("ensure_superuser")

    from users.models import User

    record = User.history.get(username="root")
    assert record.history_type == "+"
    assert record.history_user is None
