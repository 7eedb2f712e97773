from django.db import migrations

from camp.ops.db import PostgreSQLOnly


class Migration(migrations.Migration):
    """A trigram index that sees across word boundaries, for phrase searches.

    pg_trgm splits text into words, so for `river coffee` the trigram indexes
    return every post holding both words anywhere (83,000 of a million demo
    posts), each read and rechecked. Here whitespace is first mapped to a
    letter (U+16A0), which pg_trgm keeps inside a word: the phrase's trigrams
    across the space ("ERᚠ", "RᚠC", "ᚠCO") then pick the posts holding the
    phrase itself. (Replaced by 0008.)
    """

    dependencies = [
        ("posts", "0006_post_count_triggers"),
    ]

    operations = [
        PostgreSQLOnly(
            sql=[
                "CREATE INDEX IF NOT EXISTS posts_post_phrase_trgm ON posts_post USING gin "
                "((translate(upper(title::text || ' ' || content::text), E' \\n\\r\\t', "
                "'ᚠᚠᚠᚠ')) gin_trgm_ops)"
            ],
            reverse_sql=["DROP INDEX IF EXISTS posts_post_phrase_trgm"],
        ),
    ]
