"""The pages and jobs that know both apps: the home page and its chart, global search, demo
seeding and the receivers that keep the cached summaries true after a write.

The only part of camp that imports users and posts; it may import anything in camp.
Nothing in camp.lists, camp.records, camp.ops, users or posts imports it (the apps
send signals, such as camp.records.signals.bulk_written, instead of calling it).
"""
