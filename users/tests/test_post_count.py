"""users_user.post_count stays exact whichever way posts change (database triggers)."""

import pytest
from django.db import connection

from posts.models import Post
from posts.services import post_bulk_delete, post_import, post_restore
from posts.tests.factories import PostFactory
from users.models import User
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def stored_count(user: User) -> int:
    return User.objects.values_list("post_count", flat=True).get(pk=user.pk)


def true_count(user: User) -> int:
    return Post.objects.filter(author=user).count()


def test_post_count_follows_create_and_delete():
    author = UserFactory()
    posts = PostFactory.create_batch(3, author=author)
    assert stored_count(author) == 3

    posts[0].delete()

    assert stored_count(author) == 2 == true_count(author)


def test_post_count_follows_author_change_by_save_and_by_update():
    alice, bob = UserFactory(), UserFactory()
    post = PostFactory(author=alice)
    PostFactory(author=alice)

    post.author = bob
    post.save()
    assert (stored_count(alice), stored_count(bob)) == (1, 1)

    Post.objects.filter(author=alice).update(author=bob)
    assert (stored_count(alice), stored_count(bob)) == (0, 2)


def test_post_count_ignores_updates_that_keep_the_author():
    author = UserFactory()
    PostFactory.create_batch(2, author=author)

    Post.objects.filter(author=author).update(status=Post.Status.ARCHIVED)

    assert stored_count(author) == 2


def test_bulk_delete_and_restore_keep_the_post_count():
    author = UserFactory()
    PostFactory.create_batch(4, author=author)

    post_bulk_delete(posts=Post.objects.filter(author=author))
    assert stored_count(author) == 0

    record = Post.history.filter(history_type="-", author_id=author.pk).first()
    post_restore(history_id=record.history_id)
    assert stored_count(author) == 1 == true_count(author)


def test_import_keeps_the_post_count():
    author = UserFactory(username="writer")
    text = "title,author\nFirst,writer\nSecond,writer\n"

    result = post_import(text=text, commit=True)

    assert result.created == 2
    assert stored_count(author) == 2


def test_raw_sql_keeps_the_post_count():
    author = UserFactory()
    PostFactory(author=author)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO posts_post (title, content, author_id, status, created_at, updated_at, "
            "version) SELECT 'Raw', '', %s, 'draft', created_at, updated_at, 1 FROM posts_post",
            [author.pk],
        )
        assert stored_count(author) == 2
        cursor.execute("DELETE FROM posts_post WHERE author_id = %s", [author.pk])
    assert stored_count(author) == 0


def test_saving_a_stale_user_does_not_overwrite_the_post_count():
    author = UserFactory()
    stale = User.objects.get(pk=author.pk)
    PostFactory.create_batch(2, author=author)

    stale.name = "Renamed"
    stale.save()

    assert stored_count(author) == 2
    assert User.objects.get(pk=author.pk).name == "Renamed"


def test_direct_update_of_the_post_count_is_ignored():
    author = UserFactory()
    PostFactory(author=author)

    User.objects.filter(pk=author.pk).update(post_count=40)

    assert stored_count(author) == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="TRUNCATE is PostgreSQL's")
def test_truncate_resets_every_post_count():
    author = UserFactory()
    PostFactory.create_batch(2, author=author)
    with connection.cursor() as cursor:
        # The deferred foreign key checks of the inserts must run before TRUNCATE.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("TRUNCATE posts_post, posts_historicalpost")

    assert stored_count(author) == 0


def test_deleting_the_author_deletes_their_posts():
    author, other = UserFactory(), UserFactory()
    PostFactory.create_batch(2, author=author)
    PostFactory(author=other)

    author.delete()

    assert stored_count(other) == 1
