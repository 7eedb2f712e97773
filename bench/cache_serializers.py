"""Which django-redis serializer and compressor suit Camp's cached values?

Times a set + get round trip through a real Redis for the values Camp
actually caches (a user summary, the dashboard statistics), with each
serializer and compressor, side by side, as ratios to the default (pickle,
no compression). Also prints the stored size.

    .venv/bin/python bench/cache_serializers.py [--rounds 2000] [--redis redis://127.0.0.1:6379/8]
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "camp.settings")
os.environ.setdefault("DEBUG", "true")

import django

django.setup()

from django.core.cache import caches  # noqa: E402
from django.test.utils import override_settings  # noqa: E402

SERIALIZERS = {
    "pickle": "django_redis.serializers.pickle.PickleSerializer",
    "json": "django_redis.serializers.json.JSONSerializer",
}
COMPRESSORS = {
    "none": "django_redis.compressors.identity.IdentityCompressor",
    "zlib": "django_redis.compressors.zlib.ZlibCompressor",
}

USER_SUMMARY = {
    "id": 48213,
    "username": "demo_1_0048213",
    "email": "demo_1_0048213@example.jp",
    "name": "佐藤 花子",
    "is_active": True,
    "is_staff": False,
    "is_superuser": False,
    "date_joined": "2025-03-14T09:26:53.589793+00:00",
    "last_login": None,
    "post_count": 37,
    "version": 1,
}
DASHBOARD_STATS = {
    "today": "2026-11-27",
    "counts": {
        "users_total": 100_000,
        "users_active": 90_012,
        "users_staff": 1_003,
        "posts_total": 1_000_000,
        "posts_draft": 300_122,
        "posts_published": 599_870,
        "posts_archived": 100_008,
    },
    "per_day": [(f"2026-10-{day:02d}", 900 + day) for day in range(1, 31)],
}


def measure(location: str, serializer: str, compressor: str, value, rounds: int):
    config = {
        "bench": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": location,
            "KEY_PREFIX": "camp-bench-serializers",
            "OPTIONS": {"SERIALIZER": serializer, "COMPRESSOR": compressor},
        }
    }
    with override_settings(CACHES=config):
        cache = caches["bench"]
        client = cache.client.get_client()
        samples = []
        for _ in range(rounds):
            started = time.perf_counter()
            cache.set("value", value, timeout=60)
            assert cache.get("value") is not None
            samples.append(time.perf_counter() - started)
        size = len(client.get(cache.make_key("value")))
        cache.delete("value")
    return statistics.median(samples) * 1e6, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2000, help="round trips per combination")
    parser.add_argument(
        "--redis", default="redis://127.0.0.1:6379/8", help="Redis URL to measure against"
    )
    args = parser.parse_args()

    for label, value in (("user summary", USER_SUMMARY), ("dashboard stats", DASHBOARD_STATS)):
        print(f"\n{label}: set+get round trip, median of {args.rounds}")
        print(f"{'serializer':<10} {'compressor':<10} {'µs':>8} {'bytes':>7} {'vs default':>11}")
        baseline = None
        for s_name, serializer in SERIALIZERS.items():
            for c_name, compressor in COMPRESSORS.items():
                micros, size = measure(args.redis, serializer, compressor, value, args.rounds)
                baseline = baseline or micros
                print(
                    f"{s_name:<10} {c_name:<10} {micros:>8.1f} {size:>7} "
                    f"{micros / baseline:>10.2f}x"
                )


if __name__ == "__main__":
    main()
