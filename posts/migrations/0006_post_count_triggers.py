"""Keep users_user.post_count exact with triggers on posts_post.

Triggers rather than Django signals or services: every way posts change
(the ORM, QuerySet.update and delete, bulk jobs, imports, COPY in seeding,
raw SQL, a restore) goes through the table, so the count can never drift.

PostgreSQL: one statement-level trigger per operation with transition
tables, so a COPY of a million posts or a bulk delete updates each author
once (grouped), not once per row. A row trigger on users keeps a plain
`UPDATE users_user SET post_count = ...` (Django's full save() of an
instance read before its author wrote a post) from overwriting the count:
only the post triggers, one level down, may change it.

SQLite (the quick start): row triggers, and an after-update trigger that
recounts a user whose count was written with a wrong value.
"""

from django.db import migrations

from camp.ops.db import VendorSQL

RECOUNT = """
UPDATE users_user SET post_count = COALESCE(
    (SELECT count(*) FROM posts_post WHERE posts_post.author_id = users_user.id), 0
)
"""

POSTGRESQL = """
CREATE FUNCTION posts_post_count_delta() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE users_user u SET post_count = u.post_count + d.n
        FROM (SELECT author_id, count(*) AS n FROM new_rows GROUP BY author_id) d
        WHERE u.id = d.author_id;
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE users_user u SET post_count = u.post_count - d.n
        FROM (SELECT author_id, count(*) AS n FROM old_rows GROUP BY author_id) d
        WHERE u.id = d.author_id;
    ELSIF TG_OP = 'UPDATE' THEN
        -- Only rows whose author changed move a count.
        UPDATE users_user u SET post_count = u.post_count + d.n
        FROM (
            SELECT author_id, sum(n) AS n FROM (
                SELECT n.author_id, 1 AS n FROM new_rows n JOIN old_rows o USING (id)
                WHERE n.author_id <> o.author_id
                UNION ALL
                SELECT o.author_id, -1 FROM new_rows n JOIN old_rows o USING (id)
                WHERE n.author_id <> o.author_id
            ) moves GROUP BY author_id
        ) d
        WHERE u.id = d.author_id AND d.n <> 0;
    ELSIF TG_OP = 'TRUNCATE' THEN
        UPDATE users_user SET post_count = 0 WHERE post_count <> 0;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER posts_post_count_insert AFTER INSERT ON posts_post
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION posts_post_count_delta();
CREATE TRIGGER posts_post_count_delete AFTER DELETE ON posts_post
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION posts_post_count_delta();
CREATE TRIGGER posts_post_count_update AFTER UPDATE ON posts_post
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION posts_post_count_delta();
CREATE TRIGGER posts_post_count_truncate AFTER TRUNCATE ON posts_post
    FOR EACH STATEMENT EXECUTE FUNCTION posts_post_count_delta();

CREATE FUNCTION users_user_post_count_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Depth 1: a statement on users_user itself, not the post triggers above.
    IF pg_trigger_depth() = 1 THEN
        NEW.post_count := OLD.post_count;
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER users_user_post_count_guard BEFORE UPDATE OF post_count ON users_user
    FOR EACH ROW EXECUTE FUNCTION users_user_post_count_guard();
"""

POSTGRESQL_REVERSE = """
DROP TRIGGER IF EXISTS users_user_post_count_guard ON users_user;
DROP FUNCTION IF EXISTS users_user_post_count_guard();
DROP TRIGGER IF EXISTS posts_post_count_insert ON posts_post;
DROP TRIGGER IF EXISTS posts_post_count_delete ON posts_post;
DROP TRIGGER IF EXISTS posts_post_count_update ON posts_post;
DROP TRIGGER IF EXISTS posts_post_count_truncate ON posts_post;
DROP FUNCTION IF EXISTS posts_post_count_delta();
"""

SQLITE = [
    """
    CREATE TRIGGER posts_post_count_insert AFTER INSERT ON posts_post BEGIN
        UPDATE users_user SET post_count = post_count + 1 WHERE id = NEW.author_id;
    END
    """,
    """
    CREATE TRIGGER posts_post_count_delete AFTER DELETE ON posts_post BEGIN
        UPDATE users_user SET post_count = post_count - 1 WHERE id = OLD.author_id;
    END
    """,
    """
    CREATE TRIGGER posts_post_count_update AFTER UPDATE OF author_id ON posts_post
    WHEN OLD.author_id <> NEW.author_id BEGIN
        UPDATE users_user SET post_count = post_count - 1 WHERE id = OLD.author_id;
        UPDATE users_user SET post_count = post_count + 1 WHERE id = NEW.author_id;
    END
    """,
    # SQLite triggers cannot change NEW: put the true count back instead.
    """
    CREATE TRIGGER users_user_post_count_guard AFTER UPDATE OF post_count ON users_user
    WHEN NEW.post_count <> (SELECT count(*) FROM posts_post WHERE author_id = NEW.id) BEGIN
        UPDATE users_user SET post_count =
            (SELECT count(*) FROM posts_post WHERE author_id = NEW.id)
        WHERE id = NEW.id;
    END
    """,
]

SQLITE_REVERSE = [
    f"DROP TRIGGER IF EXISTS {name}"
    for name in (
        "users_user_post_count_guard",
        "posts_post_count_insert",
        "posts_post_count_delete",
        "posts_post_count_update",
    )
]


class Migration(migrations.Migration):
    dependencies = [
        ("posts", "0005_version"),
        ("users", "0006_post_count"),
    ]

    operations = [
        VendorSQL(
            sql={"postgresql": [RECOUNT, POSTGRESQL], "sqlite": [RECOUNT, *SQLITE]},
            reverse_sql={"postgresql": [POSTGRESQL_REVERSE], "sqlite": SQLITE_REVERSE},
        )
    ]
