from django.db import migrations, models

from camp.ops.db import PostgreSQLOnly


class Migration(migrations.Migration):
    dependencies = [
        ("users", "0002_history"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="user",
            index=models.Index(fields=["email", "id"], name="users_user_email_idx"),
        ),
        migrations.AddIndex(
            model_name="user",
            index=models.Index(fields=["name", "id"], name="users_user_name_idx"),
        ),
        # Serves `icontains`, which Django compiles to UPPER(col::text) LIKE UPPER(%s).
        PostgreSQLOnly(
            sql=[
                "CREATE EXTENSION IF NOT EXISTS pg_trgm",
                "CREATE INDEX users_user_username_trgm ON users_user "
                "USING gin ((UPPER(username::text)) gin_trgm_ops)",
                "CREATE INDEX users_user_email_trgm ON users_user "
                "USING gin ((UPPER(email::text)) gin_trgm_ops)",
                "CREATE INDEX users_user_name_trgm ON users_user "
                "USING gin ((UPPER(name::text)) gin_trgm_ops)",
            ],
            reverse_sql=[
                "DROP INDEX IF EXISTS users_user_name_trgm",
                "DROP INDEX IF EXISTS users_user_email_trgm",
                "DROP INDEX IF EXISTS users_user_username_trgm",
            ],
        ),
    ]
