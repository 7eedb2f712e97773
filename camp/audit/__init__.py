"""The audit log: an append-only record of security events.

Who logged in, failed to, was locked out or logged out; who added, removed or
used a second factor or a recovery code; whose password, email address,
flags, permissions or groups changed, and by whom; which sessions were ended;
who exported, imported or acted in bulk on which list. Each event keeps when,
who (the account and, so the record outlives it, the username as text), from
which address and client, and a few details, never a secret.

This is foundation code: it may import Django, django-axes, django-allauth
(only the modules that load without allauth's apps installed, the rest only
when `apps.is_installed` says so), django-simple-history (for the request a
model signal happens in) and the shared list, throttling and paginator code
in `camp/`. It never imports `users` or `posts`: the user model comes from
`get_user_model()` / `settings.AUTH_USER_MODEL`, and the lists pass in what
they export, import or change.
"""
