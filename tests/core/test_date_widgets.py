"""`<input type="date">` only accepts ISO dates: a value in the en-GB display format (23/11/2027) shows as empty
in a real browser, so the form is submitted without it (found by browser journey 2 on the approval form)."""

import datetime as dt

import pytest

from dpa.versions.forms import DpaVersionForm
from portal.deadlines.forms_calendar import CalendarOverrideForm
from portal.staff.forms import AuditFilterForm
from portal.trust.forms import ApproveForm, DocumentForm
from subprocessors.listing.forms_staff import SubprocessorForm

DAY = dt.date(2027, 11, 23)


@pytest.mark.parametrize(
    ("form_class", "field"),
    [
        (ApproveForm, "expires_on"),
        (DocumentForm, "published_on"),
        (DpaVersionForm, "effective_date"),
        (CalendarOverrideForm, "date"),
        (AuditFilterForm, "since"),
        (SubprocessorForm, "engaged_since"),
        (SubprocessorForm, "retired_on"),
    ],
)
def test_date_inputs_render_iso_values(form_class, field, db):
    html = str(form_class(initial={field: DAY})[field])
    assert 'type="date"' in html
    assert 'value="2027-11-23"' in html
