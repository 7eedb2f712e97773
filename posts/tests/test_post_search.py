"""The posts' searchable copy (PostSearch) follows every way posts are written.

Triggers keep it (posts/migrations/0009), so these tests write posts the ways
Camp does (the ORM, bulk writes, the bulk jobs' SQL, a restore, raw SQL) and
compare the copy with the posts. A status change must leave the copy's row
as it was: that is what keeps the trigram indexes out of bulk status changes.
"""

import pytest
from django.db import connection

from posts.models import Post, PostSearch
from posts.services import post_bulk_delete, post_bulk_set_status, post_restore

from .factories import PostFactory

pytestmark = pytest.mark.django_db


def copies() -> dict[int, tuple[str, str]]:
    return {pk: (title, content) for pk, title, content in PostSearch.objects.values_list()}


def originals() -> dict[int, tuple[str, str]]:
    return {
        pk: (title, content)
        for pk, title, content in Post.objects.values_list("pk", "title", "content")
    }


def row_version(post: Post) -> str:
    """The transaction that wrote the copy's current row (changes with every write)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT xmin::text FROM posts_postsearch WHERE post_id = %s", [post.pk])
        return cursor.fetchone()[0]


def test_a_new_post_is_copied():
    post = PostFactory(title="Otters at dawn", content="Seen from the bridge.")

    assert copies() == {post.pk: ("Otters at dawn", "Seen from the bridge.")}


def test_bulk_created_posts_are_copied():
    author = PostFactory().author
    Post.objects.bulk_create(
        [Post(title=f"Bulk {n}", content=f"text {n}", author=author) for n in range(5)]
    )

    assert copies() == originals()
    assert len(copies()) == 6


def test_an_edit_of_the_title_or_content_is_copied():
    post = PostFactory(title="Draft title", content="Old words")

    post.title = "Final title"
    post.save()
    Post.objects.filter(pk=post.pk).update(content="New words")

    assert copies() == {post.pk: ("Final title", "New words")}
    assert list(Post.objects.search("new words")) == [post]
    assert not Post.objects.search("old words").exists()


def test_a_save_that_changes_no_text_leaves_the_copy_alone():
    post = PostFactory(status=Post.Status.DRAFT)
    before = row_version(post)

    post.status = Post.Status.PUBLISHED
    post.save()

    assert row_version(post) == before


def test_a_bulk_status_change_leaves_the_copy_alone():
    posts = PostFactory.create_batch(3, status=Post.Status.DRAFT)
    before = {post.pk: row_version(post) for post in posts}

    changed = post_bulk_set_status(posts=Post.objects.all(), status=Post.Status.ARCHIVED)

    assert changed == 3
    assert set(Post.objects.values_list("status", flat=True)) == {Post.Status.ARCHIVED}
    assert {post.pk: row_version(post) for post in posts} == before


def test_deleted_posts_leave_the_copy_and_a_restore_brings_them_back():
    kept, deleted, bulk_deleted = PostFactory.create_batch(3)
    deleted_pk = deleted.pk
    deleted.delete()
    post_bulk_delete(posts=Post.objects.filter(pk=bulk_deleted.pk))

    assert set(copies()) == {kept.pk}
    assert not Post.objects.search(deleted.title).exists()

    record = Post.history.get(id=deleted_pk, history_type="-")
    post_restore(history_id=record.history_id)

    assert copies() == originals()
    assert list(Post.objects.search(deleted.title)) == [Post.objects.get(pk=deleted_pk)]


def test_raw_sql_writes_are_copied_too():
    post = PostFactory(title="Before")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE posts_post SET title = 'After' WHERE id = %s", [post.pk])

    assert copies() == {post.pk: ("After", post.content)}

    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM posts_post")

    assert copies() == {}


def test_search_finds_text_in_the_title_or_the_content_ignoring_case():
    in_title = PostFactory(title="The Narwhal Diaries", content="")
    in_content = PostFactory(title="Sea notes", content="a narwhal surfaced")
    PostFactory(title="Walrus", content="nothing else")

    assert set(Post.objects.search("NARWHAL")) == {in_title, in_content}
    assert set(Post.objects.search("narwhal").filter(title__startswith="Sea")) == {in_content}


@pytest.mark.django_db(transaction=True)
def test_truncating_the_posts_empties_the_copy():
    PostFactory.create_batch(2)
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE posts_post CASCADE")

    assert copies() == originals() == {}
    post = PostFactory()
    assert copies() == originals() == {post.pk: (post.title, post.content)}
