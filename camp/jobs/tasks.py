"""The one task the queue carries: run a job. Everything else lives on the Job row."""

from django_tasks import task

from .services import job_run


@task()
def run_job(job_id: int) -> str:
    return job_run(job_id=job_id)
