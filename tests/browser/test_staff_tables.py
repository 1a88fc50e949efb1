"""Staff lists in a real browser: no serious accessibility violations, and sorting works from the keyboard."""

from urllib.parse import urlencode

import pytest
from django.urls import reverse

from tests.browser.helpers import sign_in
from tests.organisations.factories import UserFactory, make_legal
from tests.staff.test_staff_tables import SPECS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_every_staff_list_passes_axe_with_rows_and_with_filters(live_server, page, axe, screenshot):
    # given a legal user and two rows in every list
    legal = make_legal(UserFactory(email="counsel@processor.example"))
    for spec in SPECS.values():
        spec.make(0)
        spec.make(1)
    sign_in(page, live_server, legal)
    found = []
    for name, spec in SPECS.items():
        # when the list is opened, sorted descending, and (where it has filters) filtered to nothing
        page.goto(f"{live_server.url}{spec.path}?sort=-{spec.sort}")
        assert page.locator("th[aria-sort=descending]").count() == 1, name
        screenshot(f"staff-list-{name}")
        found += axe(name)
        if spec.miss:
            page.goto(f"{live_server.url}{spec.path}?{urlencode(spec.miss)}")
            assert page.get_by_role("link", name="Clear filters").is_visible(), name
            found += axe(f"{name} (no match)")
    # then nothing serious or critical is reported
    assert found == []


def test_sorting_from_the_keyboard_with_a_visible_focus(live_server, page):
    legal = make_legal(UserFactory(email="counsel@processor.example"))
    for i in range(3):
        SPECS["organisations"].make(i)
    sign_in(page, live_server, legal)
    page.goto(f"{live_server.url}{reverse('organisations:staff_list')}")
    header = page.locator("th[aria-sort=ascending] a")
    # Tab from the top of the page until the sorted column's link has focus
    for _ in range(40):
        page.keyboard.press("Tab")
        if header.evaluate("el => el === document.activeElement"):
            break
    else:
        pytest.fail("the sort link was never reached with Tab")
    outline = header.evaluate("el => getComputedStyle(el).outlineStyle + ' ' + getComputedStyle(el).outlineWidth")
    assert outline == "solid 3px"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith("?sort=-name")
    assert page.locator("th[aria-sort=descending]").inner_text().startswith("Name")
    names = page.locator("tbody tr td:first-child").all_inner_texts()
    assert names == sorted(names, reverse=True)
