from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from camp.audit.services import audit_prune


class Command(BaseCommand):
    help = (
        "Delete audit events older than the retention period (AUDIT_RETENTION_DAYS, "
        "or --days). The only way audit events are ever deleted."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help="Keep this many days of events instead of AUDIT_RETENTION_DAYS.",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Say how many events would be deleted, and delete nothing.",
        )

    def handle(self, *args, days, dry_run, **options):
        days = settings.AUDIT_RETENTION_DAYS if days is None else days
        if days < 1:
            raise CommandError("--days must be at least 1: the log is never emptied at once.")
        verbosity = options["verbosity"]

        def progress(done: int, total: int) -> None:
            """A one-line bar, redrawn on a terminal; the finished line only otherwise."""
            if verbosity < 1 or total <= 0:
                return
            width = 30
            filled = width * done // total
            end = "\n" if done >= total else ""
            if self.stdout.isatty() or end:
                bar = "#" * filled + "-" * (width - filled)
                self.stdout.write(f"\rdeleting [{bar}] {done:>10,}/{total:,}", ending=end)
                self.stdout.flush()

        count = audit_prune(days=days, dry_run=dry_run, progress=progress)
        if dry_run:
            self.stdout.write(f"{count:,} audit events are older than {days} days (dry run).")
        else:
            self.stdout.write(
                self.style.SUCCESS(f"Deleted {count:,} audit events older than {days} days.")
            )
