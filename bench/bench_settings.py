"""Settings for the benchmarks only: Camp's own plus the bench pages of bench_urls.

Used by the bench scripts through common.bench_env (gunicorn `--pythonpath bench`,
DJANGO_SETTINGS_MODULE=bench_settings); never by Camp itself.
"""

import os
from pathlib import Path

from camp.settings import *  # noqa: F403

ROOT_URLCONF = "bench_urls"

# collectstatic into a scratch directory, so a bench run never touches the
# staticfiles/ that `make serve` uses.
if os.environ.get("BENCH_STATIC_ROOT"):
    STATIC_ROOT = Path(os.environ["BENCH_STATIC_ROOT"])
