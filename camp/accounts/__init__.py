"""How members prove who they are: Camp's side of django-allauth.

allauth does the login, the second factors (authenticator apps, recovery
codes), password reset, email change and the sessions page; this package holds
what Camp adds around it: sign-up stays closed, staff must set up a second
factor before they work (`CAMP_REQUIRE_MFA`), the admin's login leads to the
same door, and a failed second-factor code counts towards django-axes' lockout
like a failed password. It is foundation code: it may import Django, allauth
and axes, never `users` or `posts` (the user model comes from
`get_user_model()`).
"""
