"""Deterministic demo data: users and posts in Japanese and English.

On PostgreSQL rows stream in with COPY (psycopg 3) and the tables are
ANALYZEd afterwards; elsewhere they go through bulk_create. Either way each
row also gets its "created" history entry, as any other write would.
"""

import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from camp.cache import invalidate_pattern
from posts.models import Post
from users.models import User

DEMO_PREFIX = "demo_"
SPAN = timedelta(days=3 * 365)
STATUSES = [Post.Status.PUBLISHED] * 6 + [Post.Status.DRAFT] * 3 + [Post.Status.ARCHIVED]

EN_WORDS = [
    "camp",
    "river",
    "mountain",
    "coffee",
    "morning",
    "review",
    "update",
    "release",
    "notes",
    "guide",
    "weekly",
    "report",
    "team",
    "design",
    "data",
    "launch",
    "travel",
    "recipe",
    "garden",
    "summer",
    "winter",
    "market",
    "city",
    "night",
    "music",
    "project",
    "plan",
    "meeting",
    "photo",
    "story",
    "idea",
    "launch",
    "beta",
    "feature",
    "bug",
    "fix",
    "tips",
    "history",
    "forest",
    "ocean",
    "train",
    "station",
    "bakery",
    "library",
    "school",
    "spring",
    "autumn",
    "festival",
    "museum",
    "bridge",
]
EN_SENTENCES = [
    "We walked along the river before the sun came up.",
    "The new release fixes several bugs reported last week.",
    "Here is what the team learned from the beta.",
    "Coffee first, then the weekly report.",
    "The market was crowded but the bread was worth it.",
    "A short guide to getting started with the project.",
    "Photos from the festival are in the shared folder.",
    "Next month we will try a different plan.",
    "Thanks to everyone who came to the meeting.",
    "The library opens earlier on weekdays now.",
]
JA_WORDS = [
    "東京",
    "大阪",
    "京都",
    "札幌",
    "福岡",
    "桜",
    "紅葉",
    "温泉",
    "ラーメン",
    "寿司",
    "珈琲",
    "朝",
    "夜",
    "週報",
    "お知らせ",
    "新機能",
    "改善",
    "旅行",
    "料理",
    "写真",
    "日記",
    "会議",
    "計画",
    "図書館",
    "駅",
    "祭り",
    "海",
    "山",
    "川",
    "公園",
    "季節",
    "レシピ",
    "開発",
    "更新",
]
JA_SENTENCES = [
    "今朝は川沿いを散歩しました。",
    "新しいリリースでいくつかの不具合を修正しました。",
    "ベータ版から学んだことをまとめます。",
    "まずはコーヒー、それから週報です。",
    "市場は混んでいましたが、パンはとても美味しかったです。",
    "プロジェクトの始め方を簡単に紹介します。",
    "祭りの写真は共有フォルダにあります。",
    "来月は別の計画を試してみます。",
    "会議に参加してくださった皆さん、ありがとうございました。",
    "図書館は平日の開館時間が早くなりました。",
]
EN_NAMES = [
    "Alex",
    "Sam",
    "Jordan",
    "Taylor",
    "Morgan",
    "Casey",
    "Riley",
    "Jamie",
    "Avery",
    "Quinn",
]
EN_SURNAMES = [
    "Smith",
    "Brown",
    "Wilson",
    "Taylor",
    "Clark",
    "Lewis",
    "Walker",
    "Young",
    "King",
    "Wright",
]
JA_NAMES = ["太郎", "花子", "翔太", "陽菜", "蓮", "結衣", "大翔", "さくら", "悠真", "美咲"]
JA_SURNAMES = ["佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "山本", "中村", "小林", "加藤"]


@dataclass(frozen=True)
class SeedResult:
    users: int
    posts: int


Progress = Callable[[str, int, int], None]


class SeedError(Exception):
    pass


def _quiet(stage: str, done: int, total: int) -> None:
    pass


def _copy_escape(value: str) -> str:
    return (
        value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    )


class DemoData:
    """Generate rows from one seeded random stream, so a seed always gives the same data."""

    def __init__(self, seed: int, *, until: datetime) -> None:
        self.rng = random.Random(seed)
        self.until = until
        self.salt = f"{seed:x}"

    def user_row(self, index: int) -> tuple:
        rng = self.rng
        japanese = rng.random() < 0.5
        if japanese:
            name = f"{rng.choice(JA_SURNAMES)} {rng.choice(JA_NAMES)}"
        else:
            name = f"{rng.choice(EN_NAMES)} {rng.choice(EN_SURNAMES)}"
        username = f"{DEMO_PREFIX}{self.salt}_{index:07d}"
        domain = "example.jp" if japanese else "example.com"
        joined = self.until - SPAN * rng.random()
        active = rng.random() < 0.9
        staff = rng.random() < 0.01
        # An unusable password: "!" can never be the result of hashing.
        password = f"!{rng.getrandbits(128):032x}"
        return (password, username, f"{username}@{domain}", name, active, staff, joined)

    def post_row(self, user_ids: list[int]) -> tuple:
        rng = self.rng
        # Cubing a uniform number skews authorship: a few write most posts.
        author = user_ids[int(len(user_ids) * rng.random() ** 3)]
        if rng.random() < 0.5:
            title = "".join(rng.choices(JA_WORDS, k=rng.randint(2, 5)))
            sentences = JA_SENTENCES
            joiner = ""
        else:
            title = " ".join(rng.choices(EN_WORDS, k=rng.randint(3, 8))).capitalize()
            sentences = EN_SENTENCES
            joiner = " "
        paragraphs = [
            joiner.join(rng.choices(sentences, k=rng.randint(1, 4)))
            for _ in range(rng.randint(1, 3))
        ]
        created = self.until - SPAN * rng.random()
        # Edited up to a month later, but never in the future.
        updated = min(created + timedelta(seconds=int(rng.random() * 86_400 * 30)), self.until)
        status = rng.choice(STATUSES)
        return (title[:200], "\n\n".join(paragraphs), author, status, created, updated)


def seed_demo(
    *,
    users: int,
    posts: int,
    seed: int = 1,
    reset: bool = False,
    progress: Progress = _quiet,
    batch_size: int = 20_000,
) -> SeedResult:
    """Create `users` demo users and `posts` posts, deterministically for `seed`."""
    if users < 1 and posts > 0:
        raise ValueError("Posts need at least one user to write them.")
    until = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
    data = DemoData(seed, until=until)
    with transaction.atomic():
        if reset:
            progress("reset", 0, 1)
            demo_reset()
            progress("reset", 1, 1)
        elif User.objects.filter(username__startswith=f"{DEMO_PREFIX}{data.salt}_").exists():
            raise SeedError(
                f"Demo data for seed {seed} exists already; pass --reset to replace it."
            )
        if connection.vendor == "postgresql":
            # Building an index once after the load beats updating it per row,
            # by far for the trigram indexes; only worth it for big loads.
            tables = BULK_TABLES if users + posts >= REBUILD_INDEXES_FROM else ()
            with _indexes_rebuilt_after(tables, progress):
                user_ids = _copy_users(data, users, progress, batch_size)
                _copy_posts(data, posts, user_ids, progress, batch_size)
        else:
            user_ids = _bulk_users(data, users, progress, batch_size)
            _bulk_posts(data, posts, user_ids, progress, batch_size)
    if connection.vendor == "postgresql":
        progress("analyze", 0, 1)
        with connection.cursor() as cursor:
            for table in ("users_user", "posts_post"):
                cursor.execute(f"ANALYZE {table}")
        progress("analyze", 1, 1)
    invalidate_pattern("user:*")
    invalidate_pattern("dashboard:*")
    return SeedResult(users=users, posts=posts)


def demo_reset() -> None:
    """Delete every demo user and their posts (their history stays)."""
    demo_users = User.objects.filter(username__startswith=DEMO_PREFIX)
    Post.objects.filter(author__in=demo_users)._raw_delete(Post.objects.db)
    demo_users._raw_delete(User.objects.db)


BULK_TABLES = ("users_user", "posts_post", "users_historicaluser", "posts_historicalpost")
REBUILD_INDEXES_FROM = 50_000


@contextmanager
def _indexes_rebuilt_after(tables: tuple[str, ...], progress: Progress) -> Iterator[None]:
    """Drop the plain indexes of `tables`, run the block, then build them again.

    Indexes that back a constraint (primary keys, unique constraints) stay.
    """
    if not tables:
        yield
        return
    with connection.cursor() as cursor:
        # Foreign key checks still pending (from a reset) need the indexes.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i "
            "WHERE i.schemaname = current_schema() AND i.tablename = ANY(%s) "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
            [list(tables)],
        )
        indexes = cursor.fetchall()
        for name, _ in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
    yield
    with connection.cursor() as cursor:
        # Run the deferred foreign key checks now: CREATE INDEX refuses to run
        # while they are pending.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        for done, (_, definition) in enumerate(indexes, start=1):
            cursor.execute(definition)
            progress("indexes", done, len(indexes))


def _chunks(total: int, size: int) -> Iterator[int]:
    done = 0
    while done < total:
        step = min(size, total - done)
        yield step
        done += step


def _copy_users(data: DemoData, total: int, progress: Progress, size: int) -> list[int]:
    columns = (
        "password, username, email, name, is_active, is_staff, date_joined, is_superuser, version"
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM users_user")
        (before,) = cursor.fetchone()
        raw = cursor.connection
        done = 0
        with raw.cursor().copy(f"COPY users_user ({columns}) FROM STDIN") as copy:
            for step in _chunks(total, size):
                lines = []
                for index in range(done, done + step):
                    password, username, email, name, active, staff, joined = data.user_row(index)
                    lines.append(
                        f"{password}\t{username}\t{email}\t{_copy_escape(name)}\t"
                        f"{'t' if active else 'f'}\t{'t' if staff else 'f'}\t"
                        f"{joined.isoformat()}\tf\t1\n"
                    )
                copy.write("".join(lines))
                done += step
                progress("users", done, total)
        cursor.execute(
            "INSERT INTO users_historicaluser (id, is_superuser, username, is_staff, is_active, "
            "date_joined, name, email, version, history_date, history_type) "
            "SELECT id, is_superuser, username, is_staff, is_active, date_joined, name, email, "
            "version, now(), '+' FROM users_user WHERE id > %s",
            [before],
        )
        cursor.execute("SELECT id FROM users_user WHERE id > %s ORDER BY id", [before])
        return [row[0] for row in cursor.fetchall()]


def _copy_posts(
    data: DemoData, total: int, user_ids: list[int], progress: Progress, size: int
) -> None:
    if not total:
        return
    columns = "title, content, author_id, status, created_at, updated_at, version"
    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM posts_post")
        (before,) = cursor.fetchone()
        raw = cursor.connection
        done = 0
        with raw.cursor().copy(f"COPY posts_post ({columns}) FROM STDIN") as copy:
            for step in _chunks(total, size):
                lines = []
                for _ in range(step):
                    title, content, author, status, created, updated = data.post_row(user_ids)
                    lines.append(
                        f"{_copy_escape(title)}\t{_copy_escape(content)}\t{author}\t{status}\t"
                        f"{created.isoformat()}\t{updated.isoformat()}\t1\n"
                    )
                copy.write("".join(lines))
                done += step
                progress("posts", done, total)
        progress("history", 0, 1)
        cursor.execute(
            "INSERT INTO posts_historicalpost (id, title, content, status, created_at, "
            "updated_at, author_id, version, history_date, history_type) "
            "SELECT id, title, content, status, created_at, updated_at, author_id, version, "
            "now(), '+' FROM posts_post WHERE id > %s",
            [before],
        )
        progress("history", 1, 1)


def _bulk_users(data: DemoData, total: int, progress: Progress, size: int) -> list[int]:
    ids = []
    done = 0
    for step in _chunks(total, size):
        batch = []
        for index in range(done, done + step):
            password, username, email, name, active, staff, joined = data.user_row(index)
            batch.append(
                User(
                    password=password,
                    username=username,
                    email=email,
                    name=name,
                    is_active=active,
                    is_staff=staff,
                    date_joined=joined,
                )
            )
        created = bulk_create_with_history(batch, User, batch_size=size)
        ids.extend(
            User.objects.filter(username__in=[u.username for u in created])
            .order_by("id")
            .values_list("id", flat=True)
        )
        done += step
        progress("users", done, total)
    return ids


def _bulk_posts(
    data: DemoData, total: int, user_ids: list[int], progress: Progress, size: int
) -> None:
    done = 0
    for step in _chunks(total, size):
        batch = []
        for _ in range(step):
            title, content, author, status, created, updated = data.post_row(user_ids)
            batch.append(
                Post(
                    title=title,
                    content=content,
                    author_id=author,
                    status=status,
                    created_at=created,
                    updated_at=updated,
                )
            )
        bulk_create_with_history(batch, Post, batch_size=size)
        done += step
        progress("posts", done, total)
