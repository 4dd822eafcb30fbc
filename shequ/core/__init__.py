"""Plain-Python building blocks of the platform (no Django imports here).

- :mod:`shequ.core.idcard`   — GB 11643-1999 citizen identity numbers
- :mod:`shequ.core.masking`  — masking of ID numbers, phones and names for display
- :mod:`shequ.core.crypto`   — field encryption at rest and blind index for search
- :mod:`shequ.core.workdays` — deadlines in working days on the official calendar

Keeping these free of Django lets them be unit-tested (and property-tested)
without settings or a database, and reused by management scripts.
"""
