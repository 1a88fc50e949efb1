"""What the sub-processor app puts on the staff home: announced and held changes (notice incomplete first, then
open objections), failed webhooks.

A constant number of queries per panel whatever the number of rows (asserted in tests/staff/test_staff_home.py
and tests/changes/test_change_hold.py).
"""

ROWS = 5


GAPS_PER_CHANGE = 5
