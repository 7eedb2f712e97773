"""Database helpers that know which vendor they run on."""

from django.db import migrations


class PostgreSQLOnly(migrations.RunSQL):
    """RunSQL that runs on PostgreSQL and does nothing elsewhere.

    Trigram indexes and extensions are PostgreSQL features; the SQLite quick
    start simply searches without them.
    """

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class VendorSQL(migrations.RunSQL):
    """RunSQL with statements of its own for each database vendor; any other vendor gets none.

    `sql` and `reverse_sql` map a vendor ("postgresql", "sqlite") to a list of
    statements, each run whole, so a PL/pgSQL body is never split.
    """

    def __init__(self, sql: dict[str, list[str]], reverse_sql: dict[str, list[str]], **kwargs):
        super().__init__(sql=sql, reverse_sql=reverse_sql, **kwargs)

    def _run_sql(self, schema_editor, sqls):
        super()._run_sql(schema_editor, sqls.get(schema_editor.connection.vendor, []))
