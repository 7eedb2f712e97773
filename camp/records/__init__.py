"""Keeping records safe to edit: history, optimistic locking, editing presence, the cache
helpers, the access mixins for the pages that edit them, and the signals an app sends after
a bulk write.

It may import camp.ops and camp.models; it never imports camp.lists, users, posts or
camp.dashboard: whatever a record is, it is passed in (a model, an instance, a key).
"""
