"""CSV export of the post list: the streaming view against a naive one, rows/s and peak memory.

    .venv/bin/python bench/export.py                       # 100,000 and 1,000,000 posts
    .venv/bin/python bench/export.py --rows 100000 --rounds 3
    .venv/bin/python bench/export.py --database-url postgres://postgres:postgres@127.0.0.1:5432/camp_export_bench

Each measurement runs in a fresh Python process that sets Django up, logs a
superuser in with the test Client and GETs the export through the whole
middleware stack, consuming the streamed body chunk by chunk as a server
would. Peak memory is the process's maximum resident set size
(getrusage), reported whole and as growth over the process just before the
request. The baseline is what the export would be without streaming: a plain
HttpResponse built with csv.writer over a list of every row.

Needs PostgreSQL with a seeded database: `camp_bench` (bench/run.py seeds it
with 1,000,000 posts), or any database given with --database-url, e.g. one
seeded with `manage.py seed_demo --users 10000 --posts 1000000 --seed 2`.
Nothing is written to it except a session and the `export-bench` superuser.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

from common import BENCH_DB, PG_SERVER, PYTHON, ROOT

DEFAULT_DB = f"{PG_SERVER}/{BENCH_DB}"
NAIVE_PATH = "/bench-naive-export.csv"
METHODS = ("streaming", "naive")


def child(method: str, query: str) -> dict:
    """Run inside the measuring process: one export request, measured."""
    import resource

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "camp.settings")
    import django

    django.setup()

    import csv
    import io
    import types

    from django.conf import settings
    from django.http import HttpResponse
    from django.test import Client
    from django.urls import include, path
    from django.utils import timezone

    from camp.lists.exporting import cell, export_fields, export_header
    from posts.filters import POST_COLUMNS
    from posts.selectors import post_list
    from users.models import User

    def naive_export(request):
        """The export as one would first write it: every row in a list, then one response.

        Same query, same cells (camp.lists.exporting.cell), same csv.writer: only
        the streaming differs.
        """
        columns = POST_COLUMNS.shown(request.GET)
        rows = list(post_list(params=request.GET).qs.values_list(*export_fields(columns)))
        zone = timezone.get_current_timezone()
        buffer = io.StringIO()
        buffer.write("\ufeff")
        writer = csv.writer(buffer)
        writer.writerow(export_header(columns))
        writer.writerows([cell(value, zone) for value in row] for row in rows)
        return HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")

    urls = types.ModuleType("bench_export_urls")
    urls.urlpatterns = [path(NAIVE_PATH.lstrip("/"), naive_export), path("", include("camp.urls"))]
    sys.modules[urls.__name__] = urls
    settings.ROOT_URLCONF = urls.__name__

    user, _ = User.objects.get_or_create(
        username="export-bench",
        defaults={"email": "export-bench@example.com", "is_staff": True, "is_superuser": True},
    )
    client = Client()
    client.force_login(user)
    from django.db import connections

    connections.close_all()
    url = ("/posts/export.csv" if method == "streaming" else NAIVE_PATH) + f"?{query}"
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    started = time.perf_counter()
    response = client.get(url)
    nbytes = lines = 0
    first_byte = None
    chunks = response.streaming_content if response.streaming else [response.content]
    for chunk in chunks:
        if first_byte is None:
            first_byte = time.perf_counter() - started
        nbytes += len(chunk)
        lines += chunk.count(b"\n")
    response.close()
    elapsed = time.perf_counter() - started

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "status": response.status_code,
        "streaming": response.streaming,
        "rows": lines - 1,
        "bytes": nbytes,
        "seconds": elapsed,
        "first_byte": first_byte,
        "peak_rss_mb": peak / 1024,
        "growth_mb": (peak - before) / 1024,
    }


def query_for(rows: int, database_url: str) -> tuple[str, int]:
    """A `created_after` filter keeping about `rows` newest posts (whole days), and its count."""
    import psycopg

    url = database_url.replace("postgres://", "postgresql://", 1)
    with psycopg.connect(url) as connection:
        total = connection.execute("SELECT count(*) FROM posts_post").fetchone()[0]
        if rows >= total:
            return "", total
        day = connection.execute(
            "SELECT (created_at AT TIME ZONE 'UTC')::date FROM posts_post "
            "ORDER BY created_at DESC, id DESC OFFSET %s LIMIT 1",
            [rows - 1],
        ).fetchone()[0]
        count = connection.execute(
            "SELECT count(*) FROM posts_post WHERE created_at >= %s::date", [day]
        ).fetchone()[0]
    return f"created_after={day.isoformat()}", count


def measure(method: str, query: str, database_url: str) -> dict:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DEBUG": "false",
        "SECRET_KEY": "export-bench-only",
        # The bench member has no second factor.
        "CAMP_REQUIRE_MFA": "false",
        "ALLOWED_HOSTS": "testserver",
        "TIME_ZONE": "UTC",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("REDIS_URL", None)
    output = subprocess.run(
        [str(PYTHON), __file__, "--child", method, "--query", query],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if output.returncode != 0:
        raise SystemExit(f"{method} export failed:\n{output.stderr[-3000:]}")
    return json.loads(output.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--rows",
        type=int,
        nargs="+",
        default=[100_000, 1_000_000],
        help="list sizes to export (the newest posts, by whole days)",
    )
    parser.add_argument("--rounds", type=int, default=1, help="runs per size and method")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB),
        help=f"seeded database (default {DEFAULT_DB})",
    )
    parser.add_argument("--child", choices=METHODS, help=argparse.SUPPRESS)
    parser.add_argument("--query", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        print(json.dumps(child(args.child, args.query)))
        return

    print(f"database: {args.database_url.rsplit('/', 1)[-1]}   load: {os.getloadavg()[0]:.2f}")
    header = (
        f"{'rows':>10}  {'method':<10} {'rows/s':>10} {'seconds':>8} {'1st byte':>8} "
        f"{'MB out':>7} {'peak RSS MB':>11} {'growth MB':>9}  response"
    )
    print(header)
    print("-" * len(header))
    for size in args.rows:
        query, expected = query_for(size, args.database_url)
        for method in METHODS:
            runs = [measure(method, query, args.database_url) for _ in range(args.rounds)]
            best = min(runs, key=lambda r: r["seconds"])
            seconds = statistics.median(r["seconds"] for r in runs)
            assert best["status"] == 200 and best["rows"] >= expected, best
            kind = "StreamingHttpResponse" if best["streaming"] else "HttpResponse"
            print(
                f"{best['rows']:>10,}  {method:<10} {best['rows'] / seconds:>10,.0f} "
                f"{seconds:>8.2f} {best['first_byte']:>8.2f} {best['bytes'] / 2**20:>7.1f} "
                f"{max(r['peak_rss_mb'] for r in runs):>11.0f} "
                f"{max(r['growth_mb'] for r in runs):>9.0f}  {kind}"
            )


if __name__ == "__main__":
    main()
