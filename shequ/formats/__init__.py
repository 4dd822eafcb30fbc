"""Date formats of the interface's languages, by the names templates use (``|date:"DATE_FORMAT"``).

Django's own Chinese formats pad the month in ``MONTH_DAY_FORMAT`` (09月5日) and have no
month-and-time format; its English ones use a 12-hour clock. A district works on a
24-hour clock in both languages.
"""
