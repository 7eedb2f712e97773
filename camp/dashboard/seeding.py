"""Deterministic demo data: users and posts in Japanese and English.

On PostgreSQL rows stream in with COPY (psycopg 3) and the tables are
ANALYZEd afterwards; on SQLite they go in with one executemany per batch.
Either way each row also gets its "created" history entry, as any other write
would, copied from the new rows by one INSERT ... SELECT per table.

A big load on PostgreSQL drops the tables' plain indexes first and builds them
once at the end. Called outside a transaction, it commits the rows and then
writes the history and builds the indexes in two connections at once: the
trigram index on post content alone takes as long as everything else.
"""

import logging
import random
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone

from camp.models import PendingIndex
from camp.records.cache import invalidate_pattern
from posts.models import Post
from users.models import User

logger = logging.getLogger("camp.seeding")

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


# COPY in binary: psycopg encodes each row in C, with no text to escape or
# timestamps to format in Python (5x less time per row than text lines).
USER_COPY_TYPES = ["text", "text", "text", "text", "bool", "bool", "timestamptz", "bool", "int4"]
POST_COPY_TYPES = ["text", "text", "int8", "text", "timestamptz", "timestamptz", "int4"]


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
        # Whole numbers come from random() directly: randint() and choices()
        # cost several times more, and a million rows make it count.
        random = self.rng.random
        # Cubing a uniform number skews authorship: a few write most posts.
        author = user_ids[int(len(user_ids) * random() ** 3)]
        if random() < 0.5:
            words, separator, sentences, joiner = JA_WORDS, "", JA_SENTENCES, ""
            count = 2 + int(random() * 4)  # 2 to 5 words
        else:
            words, separator, sentences, joiner = EN_WORDS, " ", EN_SENTENCES, " "
            count = 3 + int(random() * 6)  # 3 to 8 words
        title = separator.join([words[int(random() * len(words))] for _ in range(count)])
        if separator:
            title = title.capitalize()
        paragraphs = [
            joiner.join(
                [
                    sentences[int(random() * len(sentences))]
                    for _ in range(1 + int(random() * 4))  # 1 to 4 sentences
                ]
            )
            for _ in range(1 + int(random() * 3))  # 1 to 3 paragraphs
        ]
        created = self.until - SPAN * random()
        # Edited up to a month later, but never in the future.
        updated = min(created + timedelta(seconds=int(random() * 86_400 * 30)), self.until)
        status = STATUSES[int(random() * len(STATUSES))]
        return (title[:200], "\n\n".join(paragraphs), author, status, created, updated)

    def user(self, index: int) -> User:
        """`user_row(index)` as an unsaved User, for bulk_create."""
        password, username, email, name, active, staff, joined = self.user_row(index)
        return User(
            password=password,
            username=username,
            email=email,
            name=name,
            is_active=active,
            is_staff=staff,
            date_joined=joined,
        )

    def post(self, user_ids: list[int]) -> Post:
        """`post_row(user_ids)` as an unsaved Post, for bulk_create."""
        title, content, author, status, created, updated = self.post_row(user_ids)
        return Post(
            title=title,
            content=content,
            author_id=author,
            status=status,
            created_at=created,
            updated_at=updated,
        )


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
    postgresql = connection.vendor == "postgresql"
    # Building an index once after the load beats updating it per row, by far
    # for the trigram indexes; only worth it for big loads. Outside a
    # transaction the indexes are built after the commit, two at a time.
    rebuild = postgresql and users + posts >= REBUILD_INDEXES_FROM
    in_parallel = rebuild and not connection.in_atomic_block
    if postgresql and (restored := restore_pending_indexes(progress)):
        logger.warning("Built %d indexes an interrupted seed_demo had dropped.", restored)
    with transaction.atomic():
        if reset:
            progress("reset", 0, 1)
            demo_reset()
            progress("reset", 1, 1)
        elif User.objects.filter(username__startswith=f"{DEMO_PREFIX}{data.salt}_").exists():
            raise SeedError(
                f"Demo data for seed {seed} exists already; pass --reset to replace it."
            )
        indexes = _drop_indexes(BULK_TABLES) if rebuild else []
        user_ids, history = _load_users(data, users, progress, batch_size)
        history += _load_posts(data, posts, user_ids, progress, batch_size)
        if not in_parallel:
            _run_statements(history, progress, "history")
            _run_statements(_index_builds(indexes), progress, "indexes")
    if in_parallel:
        _build_in_parallel(history, indexes, progress)
    if postgresql:
        progress("analyze", 0, 1)
        with connection.cursor() as cursor:
            for table in ("users_user", "posts_post", "posts_postsearch"):
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


BULK_TABLES = (
    "users_user",
    "posts_post",
    "posts_postsearch",
    "users_historicaluser",
    "posts_historicalpost",
)
REBUILD_INDEXES_FROM = 50_000


#: The index whose build takes longest (47 s of a 1,000,000-post load on 2
#: cores: GIN builds use one process): built alone while the other lane
#: writes the history and builds every other index.
LONGEST_BUILD = "posts_postsearch_content_trgm"


@dataclass(frozen=True)
class Statement:
    """SQL run after the load; `builds` names the pending index it builds, if any."""

    sql: str
    params: tuple = ()
    builds: str | None = None


def _drop_indexes(tables: tuple[str, ...]) -> list[tuple[str, str]]:
    """Drop the plain indexes of `tables`; return their (name, definition) pairs.

    Indexes that back a constraint (primary keys, unique constraints) stay.
    """
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
    PendingIndex.objects.bulk_create(
        [PendingIndex(name=name, definition=definition) for name, definition in indexes]
    )
    return indexes


def _index_builds(indexes: list[tuple[str, str]]) -> list[Statement]:
    """The statements building dropped indexes again, from their (name, definition) pairs."""
    return [
        Statement(
            definition.replace("CREATE INDEX ", "CREATE INDEX IF NOT EXISTS ", 1).replace(
                "CREATE UNIQUE INDEX ", "CREATE UNIQUE INDEX IF NOT EXISTS ", 1
            ),
            builds=name,
        )
        for name, definition in indexes
    ]


def restore_pending_indexes(progress: Progress = _quiet) -> int:
    """Build the indexes an interrupted load left dropped; return how many."""
    pending = list(PendingIndex.objects.values_list("name", "definition"))
    if pending:
        with transaction.atomic():
            _run_statements(_index_builds(pending), progress, "restore")
    return len(pending)


def _run_statements(statements: list[Statement], progress: Progress, stage: str) -> None:
    if not statements:
        return
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Run the deferred foreign key checks now: CREATE INDEX refuses to
            # run while they are pending.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        for done, statement in enumerate(statements, start=1):
            _execute(cursor, statement)
            progress(stage, done, len(statements))


def _execute(cursor, statement: Statement) -> None:
    """Run `statement`; an index it builds leaves the pending list in the same transaction."""
    cursor.execute(statement.sql, statement.params or None)
    if statement.builds:
        PendingIndex.objects.filter(name=statement.builds).delete()


def _build_in_parallel(
    history: list[Statement], indexes: list[tuple[str, str]], progress: Progress
) -> None:
    """Write the history rows and build the dropped indexes, in two connections at once.

    The load is committed by now, so the pages work (slowly) meanwhile. If a
    statement fails, its lane stops, the other lane finishes, and the error
    is raised; whatever was not built stays in PendingIndex for the next run.
    Each lane is a connection of its own, closed at the end.
    """
    builds = _index_builds(indexes)
    longest = [b for b in builds if b.builds == LONGEST_BUILD]
    # The history tables' indexes come after their rows (history first).
    rest = history + [b for b in builds if b.builds != LONGEST_BUILD]
    total = len(history) + len(builds)
    done = 0
    lock = threading.Lock()

    def lane(statements: list[Statement]) -> None:
        nonlocal done
        try:
            for statement in statements:
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
                    # One process per lane: parallel B-tree workers would take
                    # the CPU the long GIN build needs.
                    cursor.execute("SET LOCAL max_parallel_maintenance_workers = 0")
                    _execute(cursor, statement)
                with lock:
                    done += 1
                    progress("indexes", done, total)
        finally:
            connection.close()

    progress("indexes", 0, total)
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="seed-index") as pool:
        futures = [pool.submit(lane, statements) for statements in (longest, rest) if statements]
        for future in futures:
            future.result()


def _chunks(total: int, size: int) -> Iterator[int]:
    done = 0
    while done < total:
        step = min(size, total - done)
        yield step
        done += step


def _load_users(
    data: DemoData, total: int, progress: Progress, size: int
) -> tuple[list[int], list[Statement]]:
    """Load the users; return their ids and the statement writing their history."""
    columns = (
        "password, username, email, name, is_active, is_staff, date_joined, is_superuser, version"
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM users_user")
        (before,) = cursor.fetchone()
        with _rows_into(cursor, "users_user", columns, USER_COPY_TYPES) as write:
            done = 0
            for step in _chunks(total, size):
                write((*data.user_row(index), False, 1) for index in range(done, done + step))
                done += step
                progress("users", done, total)
        history = _history_statement(
            "users_historicaluser",
            "users_user",
            "id, is_superuser, username, is_staff, is_active, date_joined, name, email, version",
            before,
        )
        cursor.execute("SELECT id FROM users_user WHERE id > %s ORDER BY id", [before])
        return [row[0] for row in cursor.fetchall()], [history]


def _load_posts(
    data: DemoData, total: int, user_ids: list[int], progress: Progress, size: int
) -> list[Statement]:
    """Load the posts; return the statement writing their history."""
    if not total:
        return []
    columns = "title, content, author_id, status, created_at, updated_at, version"
    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM posts_post")
        (before,) = cursor.fetchone()
        with _rows_into(cursor, "posts_post", columns, POST_COPY_TYPES) as write:
            done = 0
            for step in _chunks(total, size):
                write((*data.post_row(user_ids), 1) for _ in range(step))
                done += step
                progress("posts", done, total)
    return [
        _history_statement(
            "posts_historicalpost",
            "posts_post",
            "id, title, content, status, created_at, updated_at, author_id, version",
            before,
        )
    ]


@contextmanager
def _rows_into(
    cursor, table: str, columns: str, copy_types: list[str]
) -> Iterator[Callable[[Iterable[tuple]], None]]:
    """Yield a function that writes rows into `table`, in the fastest way the database has.

    PostgreSQL streams them through one binary COPY. SQLite takes each batch
    in one executemany, with timestamps turned into the text Django stores
    (the ORM's bulk_create spends five times as long compiling its INSERTs).
    """
    if connection.vendor == "postgresql":
        copy_sql = f"COPY {table} ({columns}) FROM STDIN (FORMAT BINARY)"
        with cursor.connection.cursor().copy(copy_sql) as copy:
            copy.set_types(copy_types)

            def write(rows: Iterable[tuple]) -> None:
                for row in rows:
                    copy.write_row(row)

            yield write
        return
    adapt = connection.ops.adapt_datetimefield_value
    placeholders = ", ".join(["%s"] * len(columns.split(",")))
    insert_sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"  # noqa: S608 (constants)

    def write(rows: Iterable[tuple]) -> None:
        cursor.executemany(
            insert_sql,
            [tuple(adapt(v) if isinstance(v, datetime) else v for v in row) for row in rows],
        )

    yield write


def _history_statement(history_table: str, table: str, columns: str, after_id: int) -> Statement:
    """The statement giving every row of `table` past `after_id` its "created" history entry."""
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    return Statement(
        # Table and column names are this module's constants.
        f"INSERT INTO {history_table} ({columns}, history_date, history_type) "  # noqa: S608
        f"SELECT {columns}, %s, '+' FROM {table} WHERE id > %s",
        (now, after_id),
    )
