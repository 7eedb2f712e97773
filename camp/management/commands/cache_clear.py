from django.core.management.base import BaseCommand, CommandError

from camp.records.cache import invalidate_pattern


class Command(BaseCommand):
    help = "Delete cached keys under Camp's prefix that match PATTERN (default: all of them)."

    def add_arguments(self, parser):
        parser.add_argument(
            "pattern",
            nargs="?",
            default="*",
            help="Glob pattern of keys to delete, without the prefix, e.g. 'user:*' "
            "(default: '*').",
        )
        parser.add_argument(
            "--alias", default="default", help="Cache alias to clear (default: 'default')."
        )

    def handle(self, *args, pattern: str, alias: str, **options):
        try:
            # Every version: an entry stored before a shape change is Camp's too.
            removed = invalidate_pattern(pattern, alias=alias, any_version=True)
        except NotImplementedError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"Removed {removed} key{'s' if removed != 1 else ''} matching {pattern!r}."
        )
