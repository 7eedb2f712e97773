"""`python -m camp.quickstart`: write a local `.env` if there is none, then say what Camp uses."""

import os

from camp.quickstart.envfile import env_file_path, write_local_env
from camp.quickstart.services import describe_services


def main() -> None:
    path = env_file_path()
    if write_local_env(path):
        print(
            f"Wrote {path.name} for local development (DEBUG on, a new SECRET_KEY, no "
            "DATABASE_URL or REDIS_URL), so manage.py works here; see .env.example."
        )
    # The settings read the file just written.
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "camp.settings")
    from django.conf import settings

    print(describe_services(settings.DATABASES, settings.CACHES))


if __name__ == "__main__":
    main()
