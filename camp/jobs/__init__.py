"""Background jobs: work too big for one request, run in batches by `manage.py worker`.

A `Job` row is what staff see (what, who, state, rows done of total, outcome);
the queue underneath is django-tasks with its database backend, so a job is
queued in the same transaction as the data it belongs to and needs no service
beyond the database. The apps register the kinds of job they run
(`registry.register`) from their AppConfig.ready(); this package knows nothing
of them. It may import Django, django-tasks and `camp`'s foundation modules
(mixins), never `users`, `posts` or the list code that builds on it.
"""
