"""Recently deleted posts: searching them, and restoring several at once after a confirmation."""

from http import HTTPStatus

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from camp.jobs.services import job_run
from posts.models import Post
from users.models import User
from users.selectors import user_summary
from users.tests.factories import UserFactory

from .factories import DraftPostFactory, PostFactory

pytestmark = pytest.mark.django_db

VIEW = "posts.view_post"
ADD = "posts.add_post"

DELETED = reverse("posts:deleted")
RESTORE = reverse("posts:bulk_restore")


def deletion(post: Post):
    """Delete `post` as the dashboard would; return its deletion record."""
    pk = post.pk
    post.delete()
    return Post.history.filter(id=pk, history_type="-").latest("history_id")


def stored_count(user: User) -> int:
    return User.objects.values_list("post_count", flat=True).get(pk=user.pk)


@pytest.fixture
def taro():
    return UserFactory(username="taro")


@pytest.fixture
def gone(taro) -> dict:
    """Three deleted posts by taro and one by hanako, oldest first."""
    hanako = UserFactory(username="hanako")
    return {
        "camp": deletion(PostFactory(title="Summer camp", author=taro)),
        "hike": deletion(DraftPostFactory(title="Weekend hike", author=taro)),
        "lake": deletion(PostFactory(title="Lake trip", author=taro)),
        "notes": deletion(PostFactory(title="Meeting notes", author=hanako)),
    }


@pytest.fixture
def restorer(staff_client_with):
    return staff_client_with(VIEW, ADD)


def ticked(*records) -> list[int]:
    return [record.history_id for record in records]


def restore(client, ids: list, *, follow: bool = False, language: str = "en", **data):
    """Post the restore of `ids`, as the list's bar (or, with `confirm`, the confirmation) does."""
    return client.post(
        RESTORE,
        {"action": "restore", "ids": ids, **data},
        follow=follow,
        HTTP_ACCEPT_LANGUAGE=language,
    )


def confirm(client, ids: list[int], expected: int):
    return restore(client, ids, expected=expected, confirm="1", follow=True)


# Search ----------------------------------------------------------------------


def titles(response) -> list[str]:
    return [record.title for record in response.context["records"]]


def test_search_finds_deleted_posts_by_title(restorer, gone):
    response = restorer.get(DELETED, {"q": "LAKE"})

    assert titles(response) == ["Lake trip"]
    assert 'value="LAKE"' in response.content.decode()


def test_search_finds_deleted_posts_by_author(restorer, gone):
    response = restorer.get(DELETED, {"q": "hanako"})

    assert titles(response) == ["Meeting notes"]


def test_search_finds_posts_whose_author_is_gone(restorer, taro, gone):
    orphan = UserFactory(username="leaver")
    deletion(PostFactory(title="Farewell camp", author=orphan))
    orphan.delete()

    response = restorer.get(DELETED, {"q": "camp"})

    assert titles(response) == ["Farewell camp", "Summer camp"]
    assert "no longer exists" in response.content.decode()


def test_search_without_a_match_says_so(restorer, gone):
    response = restorer.get(DELETED, {"q": "nothing like it"})

    assert response.status_code == HTTPStatus.OK
    assert "No deleted posts match." in response.content.decode()


def test_search_with_a_nul_byte_is_no_crash(restorer, gone):
    assert restorer.get(DELETED, {"q": "camp\x00"}).status_code == HTTPStatus.OK


def test_a_post_deleted_twice_is_listed_once(restorer, taro):
    first = deletion(PostFactory(title="Twice gone", author=taro))
    second = deletion(Post.objects.create(pk=first.id, title="Twice gone", author=taro))

    response = restorer.get(DELETED)

    assert titles(response) == ["Twice gone"]
    assert response.context["records"][0].history_id == second.history_id


def test_the_list_has_tick_boxes_and_a_restore_bar_for_who_may_restore(restorer, gone):
    content = restorer.get(DELETED).content.decode()

    assert 'id="bulk-form"' in content
    assert f'action="{RESTORE}"' in content
    assert f'name="ids" value="{gone["camp"].history_id}"' in content


def test_a_viewer_sees_no_tick_boxes(staff_client_with, gone):
    content = staff_client_with(VIEW).get(DELETED).content.decode()

    assert 'name="ids"' not in content
    assert 'id="bulk-form"' not in content


# Bulk restore ----------------------------------------------------------------


def test_bulk_restore_asks_first_listing_the_posts_and_restores_nothing(restorer, gone):
    response = restore(restorer, ticked(gone["camp"], gone["lake"]))

    assert response.status_code == HTTPStatus.OK
    assert response.context["count"] == 2
    assert [record.title for record in response.context["preview"]] == [
        "Lake trip",
        "Summer camp",
    ]
    content = response.content.decode()
    assert "Restore 2 posts?" in content
    assert "Weekend hike" not in content
    assert not Post.objects.exists()


def test_bulk_restore_brings_the_ticked_posts_back_with_their_ids(restorer, taro, gone):
    ids = ticked(gone["camp"], gone["hike"])

    response = confirm(restorer, ids, expected=2)

    assert response.redirect_chain[-1][0] == f"{DELETED}?q="
    assert "2 posts were restored." in response.content.decode()
    back = Post.objects.in_bulk([gone["camp"].id, gone["hike"].id])
    assert sorted(post.title for post in back.values()) == ["Summer camp", "Weekend hike"]
    assert back[gone["hike"].id].status == Post.Status.DRAFT
    assert titles(restorer.get(DELETED)) == ["Meeting notes", "Lake trip"]


def test_bulk_restore_records_history_and_keeps_counts_and_caches_right(restorer, taro, gone):
    assert user_summary(user_id=taro.pk).post_count == 0

    confirm(restorer, ticked(gone["camp"], gone["lake"]), expected=2)

    assert stored_count(taro) == 2 == Post.objects.filter(author=taro).count()
    assert user_summary(user_id=taro.pk).post_count == 2
    for record in (gone["camp"], gone["lake"]):
        latest = Post.history.filter(id=record.id).latest("history_id")
        assert (latest.history_type, latest.history_change_reason, latest.history_user) == (
            "+",
            "Restored",
            restorer.user,
        )


def test_bulk_restore_leaves_out_a_post_whose_author_is_gone_and_restores_the_others(
    restorer, gone
):
    leaver = UserFactory(username="leaver")
    orphan = deletion(PostFactory(title="Orphan", author=leaver))
    leaver.delete()
    ids = ticked(gone["camp"], orphan)

    asked = restore(restorer, ids)
    response = confirm(restorer, ids, expected=asked.context["count"])

    assert asked.context["count"] == 1
    assert [record.title for record in asked.context["preview"]] == ["Summer camp"]
    note = "1 post cannot be restored and is left out: its author no longer exists."
    assert note in asked.content.decode()
    assert note in response.content.decode()
    assert "1 post was restored." in response.content.decode()
    assert list(Post.objects.values_list("title", flat=True)) == ["Summer camp"]
    assert "Orphan" in restorer.get(DELETED).content.decode()


def test_bulk_restore_of_a_post_restored_meanwhile_leaves_it_and_asks_again(restorer, gone):
    ids = ticked(gone["camp"], gone["lake"])
    asked = restore(restorer, ids)
    restorer.post(reverse("posts:restore", args=[gone["lake"].history_id]))
    Post.objects.filter(pk=gone["lake"].id).update(title="Lake trip, edited")

    response = confirm(restorer, ids, expected=asked.context["count"])

    assert response.context["changed_since"] is True
    assert response.context["count"] == 1
    assert "1 ticked post is no longer deleted and is left out." in response.content.decode()
    assert Post.objects.get(pk=gone["lake"].id).title == "Lake trip, edited"
    assert not Post.objects.filter(pk=gone["camp"].id).exists()


def test_bulk_restore_of_rows_no_longer_deleted_says_so_and_changes_nothing(restorer, gone):
    restorer.post(reverse("posts:restore", args=[gone["camp"].history_id]))
    before = sorted(Post.history.values_list("history_id", flat=True))

    response = confirm(restorer, [*ticked(gone["camp"]), 999_999], expected=2)

    content = response.content.decode()
    assert response.context["count"] == 0
    assert "2 ticked posts are no longer deleted and are left out." in content
    assert "None of the chosen rows would change." in content
    assert sorted(Post.history.values_list("history_id", flat=True)) == before


def test_bulk_restore_with_nothing_ticked_goes_back_with_a_message(restorer, gone):
    response = restorer.post(RESTORE, {"action": "restore", "query": "q=camp"}, follow=True)

    assert response.redirect_chain[-1][0] == f"{DELETED}?q=camp"
    assert "Tick at least one row" in response.content.decode()
    assert not Post.objects.exists()


def test_bulk_restore_ignores_ids_that_are_not_numbers(restorer, gone):
    response = restore(restorer, ["abc", "-3", str(gone["camp"].history_id)])

    assert response.status_code == HTTPStatus.OK
    assert response.context["count"] == 1


def test_bulk_restore_takes_only_deletion_records(restorer, taro):
    post = PostFactory(author=taro)
    created = Post.history.get(id=post.pk, history_type="+")
    post.delete()

    response = restore(restorer, [created.history_id])

    assert response.context["count"] == 0


def test_bulk_restore_of_all_matching_restores_only_the_search(restorer, gone):
    asked = restorer.post(RESTORE, {"action": "restore", "scope": "all", "query": "q=taro"})

    restorer.post(
        RESTORE,
        {
            "action": "restore",
            "scope": "all",
            "query": "q=taro",
            "expected": asked.context["count"],
            "confirm": "1",
        },
    )

    assert asked.context["count"] == 3
    assert sorted(Post.objects.values_list("title", flat=True)) == [
        "Lake trip",
        "Summer camp",
        "Weekend hike",
    ]


@pytest.mark.parametrize("perms", [(VIEW,), ("posts.change_post", "posts.delete_post")])
def test_bulk_restore_without_the_add_permission_is_403(staff_client_with, gone, perms):
    response = confirm(staff_client_with(*perms), ticked(gone["camp"]), expected=1)

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert not Post.objects.exists()


def test_bulk_restore_needs_only_the_add_permission_as_a_single_restore(staff_client_with, gone):
    confirm(staff_client_with(ADD), ticked(gone["camp"]), expected=1)

    assert Post.objects.filter(pk=gone["camp"].id).exists()


def test_bulk_restore_with_an_unknown_action_changes_nothing(restorer, gone):
    response = restorer.post(
        RESTORE, {"action": "delete", "ids": ticked(gone["camp"]), "expected": 1, "confirm": 1}
    )

    assert response.status_code == HTTPStatus.FOUND
    assert not Post.objects.exists()


def test_bulk_restore_confirmation_reads_its_rows_in_a_bounded_number_of_queries(restorer, taro):
    records = [deletion(PostFactory(author=taro)) for _ in range(30)]
    restore(restorer, ticked(records[0]))

    def queries(ids: list[int]) -> int:
        with CaptureQueriesContext(connection) as context:
            response = restore(restorer, ids)
        assert response.context["count"] == len(ids)
        return len(context.captured_queries)

    few, many = queries(ticked(*records[:3])), queries(ticked(*records))
    assert few == many
    # The member and their permissions (3), the count, the orphans' count, the first rows.
    assert many <= 6


def test_bulk_restore_over_its_limit_becomes_a_job_that_restores_them(
    restorer, taro, gone, monkeypatch
):
    from dataclasses import replace

    from camp.jobs.models import Job
    from posts import services

    action = services.DELETED_POST_BULK_ACTIONS["restore"]
    monkeypatch.setitem(
        services.DELETED_POST_BULK_ACTIONS, "restore", replace(action, in_request_limit=2)
    )
    ids = ticked(gone["camp"], gone["hike"], gone["lake"])

    response = restore(restorer, ids, expected=3, confirm="1")

    job = Job.objects.get()
    assert response["Location"] == job.get_absolute_url()
    assert (job.kind, job.total) == ("posts.restore", 3)
    assert not Post.objects.exists()
    assert job_run(job_id=job.pk) == "done"
    assert stored_count(taro) == 3
    latest = Post.history.filter(id=gone["lake"].id).latest("history_id")
    assert (latest.history_change_reason, latest.history_user) == ("Restored", restorer.user)


def test_bulk_restore_confirmation_in_japanese(restorer, taro):
    records = [deletion(PostFactory(author=taro)) for _ in range(12)]

    response = restore(restorer, ticked(*records), language="ja")

    content = response.content.decode()
    assert "12 件の投稿を復元しますか" in content
    assert "ほか 2 行" in content
