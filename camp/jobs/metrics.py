"""Jobs in /metrics: how many are in each state, and how long the oldest queued one has waited.

Read from the database at scrape time rather than counted in each process, so
every server and worker agrees, whichever process is scraped.
"""

import prometheus_client
from prometheus_client.core import GaugeMetricFamily

from .selectors import job_counts


class JobCollector:
    def collect(self):
        counts = job_counts()
        jobs = GaugeMetricFamily("camp_jobs", "Background jobs by state.", labels=["state"])
        for state in ("queued", "running", "done", "failed", "cancelled"):
            jobs.add_metric([state], counts[state])
        yield jobs
        yield GaugeMetricFamily(
            "camp_jobs_oldest_queued_seconds",
            "Seconds the oldest queued job has waited (0 when none).",
            value=counts["oldest_queued_seconds"],
        )


_registry = prometheus_client.CollectorRegistry(auto_describe=False)
_registry.register(JobCollector())


def jobs_metrics_text() -> bytes:
    """The job gauges in Prometheus' text format, to append to the process metrics."""
    return prometheus_client.generate_latest(_registry)
