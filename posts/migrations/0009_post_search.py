"""Move the search indexes to posts_postsearch, a copy of each post's title and content.

PostgreSQL writes every index of a row again when an update cannot stay on
the row's page without touching an indexed column (a HOT update), and a
status change touches two (the status filter and the "updated" sort). With
the three trigram GIN indexes on posts_post, a batch of 1,000 status changes
cost 348 ms, 285 of them in those indexes. On the copy they are written only
when a title or a content changes.

Triggers keep the copy, whatever writes posts_post (the ORM, bulk jobs,
imports, COPY in seeding, raw SQL, a restore):

- PostgreSQL: inserts and deletes are statement triggers with transition
  tables (a COPY of a million posts copies them in one INSERT); an update is
  a row trigger that fires only when the title or the content changed, so a
  status change never reaches it.
- SQLite (the quick start): row triggers.

A search now finds post ids in the copy and sorts them by the posts' dates:
an index of (id) with created_at lets it read each match's date from the
index alone.

The planner's statistics of the copy's search expressions are ten times the
default, so it tells a rare word (read its matches, then sort them) from a
common one (walk the list's order and stop after a page) better; and it
scans the copy without parallel workers, whose start cost more than the
thousand-odd matches of a rare word (6 against 18 ms for `京都温泉`).
"""

from django.db import migrations, models

from camp.ops.db import VendorSQL

POSTGRESQL = """
CREATE FUNCTION posts_postsearch_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO posts_postsearch (post_id, title, content)
    SELECT id, title, content FROM new_rows;
    RETURN NULL;
END
$$;

CREATE FUNCTION posts_postsearch_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE posts_postsearch SET title = NEW.title, content = NEW.content
    WHERE post_id = NEW.id;
    RETURN NULL;
END
$$;

CREATE FUNCTION posts_postsearch_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM posts_postsearch s USING old_rows o WHERE s.post_id = o.id;
    RETURN NULL;
END
$$;

CREATE FUNCTION posts_postsearch_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Not TRUNCATE: a TRUNCATE naming both tables (Django's flush) has the
    -- copy in use, and emptied already.
    DELETE FROM posts_postsearch;
    RETURN NULL;
END
$$;

CREATE TRIGGER posts_postsearch_insert AFTER INSERT ON posts_post
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION posts_postsearch_insert();
CREATE TRIGGER posts_postsearch_update AFTER UPDATE OF title, content ON posts_post
    FOR EACH ROW
    WHEN (OLD.title IS DISTINCT FROM NEW.title OR OLD.content IS DISTINCT FROM NEW.content)
    EXECUTE FUNCTION posts_postsearch_update();
CREATE TRIGGER posts_postsearch_delete AFTER DELETE ON posts_post
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION posts_postsearch_delete();
CREATE TRIGGER posts_postsearch_truncate AFTER TRUNCATE ON posts_post
    FOR EACH STATEMENT EXECUTE FUNCTION posts_postsearch_truncate();

INSERT INTO posts_postsearch (post_id, title, content) SELECT id, title, content FROM posts_post;

SET LOCAL maintenance_work_mem = '256MB';

CREATE INDEX posts_postsearch_title_trgm ON posts_postsearch
    USING gin ((upper(title::text)) gin_trgm_ops);
CREATE INDEX posts_postsearch_content_trgm ON posts_postsearch
    USING gin ((upper(content::text)) gin_trgm_ops);
CREATE INDEX posts_postsearch_phrase_trgm ON posts_postsearch
    USING gin ((replace(upper(title::text || ' ' || content::text), ' ', 'ᚠ')) gin_trgm_ops);
-- The list asks the planner how many posts a search matches: with the default
-- statistics a word in one post of a hundred was estimated anywhere from 100
-- to 10,000 rows.
ALTER INDEX posts_postsearch_title_trgm ALTER COLUMN 1 SET STATISTICS 1000;
ALTER INDEX posts_postsearch_content_trgm ALTER COLUMN 1 SET STATISTICS 1000;
ALTER INDEX posts_postsearch_phrase_trgm ALTER COLUMN 1 SET STATISTICS 1000;
-- A search reads a few thousand matches at most (more, and the list walks
-- its own order instead): parallel workers take longer to start than that.
ALTER TABLE posts_postsearch SET (parallel_workers = 0);
ANALYZE posts_postsearch;

DROP INDEX IF EXISTS posts_post_title_trgm;
DROP INDEX IF EXISTS posts_post_content_trgm;
DROP INDEX IF EXISTS posts_post_phrase_trgm;

-- A search finds post ids in the copy; the list sorts them by date. Each
-- match's date, from this index alone, without reading the post.
CREATE INDEX posts_post_id_created_idx ON posts_post (id) INCLUDE (created_at);
"""

POSTGRESQL_REVERSE = """
DROP INDEX IF EXISTS posts_post_id_created_idx;
CREATE INDEX posts_post_title_trgm ON posts_post
    USING gin ((upper(title::text)) gin_trgm_ops);
CREATE INDEX posts_post_content_trgm ON posts_post
    USING gin ((upper(content::text)) gin_trgm_ops);
CREATE INDEX posts_post_phrase_trgm ON posts_post
    USING gin ((replace(upper(title::text || ' ' || content::text), ' ', 'ᚠ')) gin_trgm_ops);
DROP TRIGGER IF EXISTS posts_postsearch_insert ON posts_post;
DROP TRIGGER IF EXISTS posts_postsearch_update ON posts_post;
DROP TRIGGER IF EXISTS posts_postsearch_delete ON posts_post;
DROP TRIGGER IF EXISTS posts_postsearch_truncate ON posts_post;
DROP FUNCTION IF EXISTS posts_postsearch_insert();
DROP FUNCTION IF EXISTS posts_postsearch_update();
DROP FUNCTION IF EXISTS posts_postsearch_delete();
DROP FUNCTION IF EXISTS posts_postsearch_truncate();
"""

SQLITE = [
    """
    CREATE TRIGGER posts_postsearch_insert AFTER INSERT ON posts_post BEGIN
        INSERT INTO posts_postsearch (post_id, title, content)
        VALUES (NEW.id, NEW.title, NEW.content);
    END
    """,
    """
    CREATE TRIGGER posts_postsearch_update AFTER UPDATE OF title, content ON posts_post
    WHEN OLD.title IS NOT NEW.title OR OLD.content IS NOT NEW.content BEGIN
        UPDATE posts_postsearch SET title = NEW.title, content = NEW.content
        WHERE post_id = NEW.id;
    END
    """,
    """
    CREATE TRIGGER posts_postsearch_delete AFTER DELETE ON posts_post BEGIN
        DELETE FROM posts_postsearch WHERE post_id = OLD.id;
    END
    """,
    "INSERT INTO posts_postsearch (post_id, title, content) "
    "SELECT id, title, content FROM posts_post",
]

SQLITE_REVERSE = [
    f"DROP TRIGGER IF EXISTS posts_postsearch_{event}" for event in ("insert", "update", "delete")
]


class Migration(migrations.Migration):
    dependencies = [
        ("posts", "0008_phrase_index_spaces_only"),
    ]

    operations = [
        migrations.CreateModel(
            name="PostSearch",
            fields=[
                (
                    "post",
                    models.OneToOneField(
                        db_constraint=False,
                        on_delete=models.deletion.DO_NOTHING,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="posts.post",
                    ),
                ),
                ("title", models.CharField(max_length=200)),
                ("content", models.TextField(blank=True)),
            ],
            options={
                "default_permissions": (),
            },
        ),
        VendorSQL(
            sql={"postgresql": [POSTGRESQL], "sqlite": SQLITE},
            reverse_sql={"postgresql": [POSTGRESQL_REVERSE], "sqlite": SQLITE_REVERSE},
        ),
    ]
