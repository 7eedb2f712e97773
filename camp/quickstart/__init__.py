"""What `make run` does before it serves Camp: the local set-up of a fresh checkout.

A new clone has no `.env`, and without one `manage.py` refuses to start
(DEBUG is off by default so that production never runs in debug mode by
accident). `python -m camp.quickstart` writes a local `.env` when there is
none, so every `manage.py` command works in that checkout afterwards, and
says in one line which database and cache Camp uses. It never touches an
existing `.env`, and production never runs it.

`envfile` uses the standard library only: it runs before Django can start.
`services` reads the DATABASES and CACHES settings it is given. Nothing here
imports the rest of Camp.
"""
