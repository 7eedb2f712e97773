from django.db import migrations, models

from camp.ops.db import PostgreSQLOnly


class Migration(migrations.Migration):
    dependencies = [
        ("posts", "0002_history"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="post",
            index=models.Index(fields=["title", "id"], name="posts_post_title_idx"),
        ),
        migrations.AddIndex(
            model_name="post",
            index=models.Index(fields=["-updated_at", "-id"], name="posts_post_updated_idx"),
        ),
        # Django compiles `icontains` to UPPER(col::text) LIKE UPPER(%s): the
        # trigram indexes are on exactly that expression. Trigrams work for
        # Japanese as well, since pg_trgm keeps multibyte characters.
        PostgreSQLOnly(
            sql=[
                "CREATE EXTENSION IF NOT EXISTS pg_trgm",
                "CREATE INDEX posts_post_title_trgm ON posts_post "
                "USING gin ((UPPER(title::text)) gin_trgm_ops)",
                "CREATE INDEX posts_post_content_trgm ON posts_post "
                "USING gin ((UPPER(content::text)) gin_trgm_ops)",
            ],
            reverse_sql=[
                "DROP INDEX IF EXISTS posts_post_content_trgm",
                "DROP INDEX IF EXISTS posts_post_title_trgm",
            ],
        ),
    ]
