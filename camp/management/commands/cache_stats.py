from django.core.cache import caches
from django.core.management.base import BaseCommand, CommandError

from camp.records.cache import cache_stats


class Command(BaseCommand):
    help = "Show cache hits, misses, hit ratio, keys under Camp's prefix and memory used."

    def add_arguments(self, parser):
        parser.add_argument(
            "--alias", default="default", help="Cache alias to describe (default: 'default')."
        )

    def handle(self, *args, alias: str, **options):
        if alias not in caches:
            raise CommandError(f"No cache alias {alias!r}.")
        try:
            stats = cache_stats(alias=alias)
        except NotImplementedError as error:
            raise CommandError(str(error)) from error
        except ConnectionError as error:
            raise CommandError(f"The cache does not answer: {error}") from error
        ratio = f"{stats['hit_ratio']:.1%}" if stats["hit_ratio"] is not None else "n/a"
        lines = [
            ("backend", stats["backend"]),
            ("hits", f"{stats['hits']:,}"),
            ("misses", f"{stats['misses']:,}"),
            ("hit ratio", ratio),
            (f"keys under {stats['prefix']!r}", f"{stats['keys']:,}"),
            ("memory used", stats["memory"]),
        ]
        width = max(len(label) for label, _ in lines)
        for label, value in lines:
            self.stdout.write(f"{label.ljust(width)}  {value}")
