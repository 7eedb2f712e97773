import os
import secrets

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from users.models import User


class Command(BaseCommand):
    help = (
        "Make sure someone can log in: create the superuser named by "
        "DJANGO_SUPERUSER_USERNAME/DJANGO_SUPERUSER_PASSWORD if it is missing, or, "
        "with DEBUG on and no superuser at all, create 'admin' with a random "
        "password and print it once."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--username",
            default=None,
            help="Username to create (default: $DJANGO_SUPERUSER_USERNAME, else 'admin').",
        )

    def handle(self, *args, **options):
        username = options["username"] or os.environ.get("DJANGO_SUPERUSER_USERNAME", "")
        password = os.environ.get("DJANGO_SUPERUSER_PASSWORD", "")
        email = os.environ.get("DJANGO_SUPERUSER_EMAIL", "")

        if username and password:
            if User.objects.filter(username=username).exists():
                self.stdout.write(f"Superuser {username!r} already exists.")
                return
            User.objects.create_superuser(
                username=username, email=email or f"{username}@localhost", password=password
            )
            self.stdout.write(self.style.SUCCESS(f"Created superuser {username!r}."))
            return

        if User.objects.filter(is_superuser=True).exists():
            return
        if not settings.DEBUG:
            raise CommandError(
                "No superuser exists and DEBUG is off: set DJANGO_SUPERUSER_USERNAME and "
                "DJANGO_SUPERUSER_PASSWORD, or run `manage.py createsuperuser`."
            )
        username = username or "admin"
        password = secrets.token_urlsafe(12)
        User.objects.create_superuser(
            username=username, email=email or f"{username}@localhost", password=password
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Created a local superuser: username {username!r}, password {password!r} "
                "(shown once; change it at /admin/)."
            )
        )
