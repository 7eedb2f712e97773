import time

from django.core.management.base import BaseCommand, CommandError

from camp.dashboard.seeding import SeedError, seed_demo


class Command(BaseCommand):
    help = (
        "Fill the database with deterministic demo users and posts in Japanese and English "
        "(COPY on PostgreSQL, bulk_create elsewhere). Demo users cannot log in."
    )

    def add_arguments(self, parser):
        parser.add_argument("--users", type=int, default=1_000, help="Demo users to create.")
        parser.add_argument("--posts", type=int, default=10_000, help="Posts to create.")
        parser.add_argument(
            "--seed", type=int, default=1, help="Random seed; the same seed gives the same data."
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Delete all existing demo users and their posts first.",
        )

    def handle(self, *args, users: int, posts: int, seed: int, reset: bool, **options):
        if users < 0 or posts < 0:
            raise CommandError("--users and --posts must not be negative.")
        started = time.monotonic()
        self._stage_started: dict[str, float] = {}
        self._last_end = started
        try:
            result = seed_demo(
                users=users, posts=posts, seed=seed, reset=reset, progress=self.progress
            )
        except (SeedError, ValueError) as error:
            raise CommandError(str(error)) from error
        elapsed = time.monotonic() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"Created {result.users:,} users and {result.posts:,} posts "
                f"in {elapsed:.1f} s (seed {seed})."
            )
        )

    def progress(self, stage: str, done: int, total: int) -> None:
        """Draw a one-line progress bar per stage, with its time once it is done."""
        # A stage starts when the one before it ends.
        started = self._stage_started.setdefault(stage, self._last_end)
        width = 30
        filled = int(width * done / total) if total else width
        bar = "#" * filled + "-" * (width - filled)
        end = "\n" if done >= total else ""
        line = f"\r{stage:<8} [{bar}] {done:>10,}/{total:,}"
        if end:
            self._last_end = time.monotonic()
            line += f"  {self._last_end - started:6.1f} s"
        if self.stdout.isatty() or end:
            self.stdout.write(line, ending=end)
            self.stdout.flush()
