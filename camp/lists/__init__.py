"""What every list page shares: filters, columns, paginators, bulk actions, export, import,
saved views and the uploads awaiting confirmation, plus the admin pieces Camp's model admins
share (the changelist's paginator and CSV export, versioned edit forms).

It builds on camp.records and camp.ops and on camp.models, and may import them;
it never imports users, posts or camp.dashboard: an app hands a list page its
model, queryset, columns and actions instead.
"""
