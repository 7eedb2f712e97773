"""Running Camp: liveness and readiness checks, structured request logs and metrics,
middleware, login throttling and the database helpers migrations use.

It is the bottom layer: it imports Django, its libraries and the standard library,
never another part of camp, nor users or posts.
"""
