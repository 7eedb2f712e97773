"""Signals the apps send about their records, for the code that builds on them to act on.

A signal rather than a call because the code that must react (the cached
summaries and dashboard counts in camp.dashboard) sits above the apps that
write: the apps announce, and never import what listens.
"""

from django.dispatch import Signal

#: Sent by a service when a bulk write is done, one signal for the whole write,
#: because bulk writes skip the per-row model signals (that is what makes them
#: fast). `sender` is the model written; `user_ids` the users whose records or
#: whose posts changed.
bulk_written = Signal()
