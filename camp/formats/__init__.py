"""One way to write numbers and times in each language, across every page.

Django's own locale formats mix styles ("3 p.m." beside "midnight", "5:08"
beside "13:37"), so these override them through FORMAT_MODULE_PATH: a date
and time always with hours and minutes in one style, 12-hour with AM/PM in
English and 24-hour in Japanese, and a thousands separator for grouping
(templates apply it with `intcomma`). Plain data only: this package imports
nothing from Camp.
"""
