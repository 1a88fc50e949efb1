import pytest

from dpa.signing.models import DpaExecution
from dpa.versions.models import DpaVersion
from portal.organisations.models import Membership
from tests.organisations.factories import MembershipFactory
from tests.signing.factories import published_version

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_signatory_signs_through_the_emailed_link(live_server, page, screenshot, axe):
    # given a published version and an admin's request naming a signatory
    from dpa.signing.services import dpa_execution_request

    published_version(label="2026.1")
    membership = MembershipFactory(organisation__name="Acme Health B.V.", role=Membership.Role.ADMIN)
    execution, token = dpa_execution_request(
        membership=membership,
        signatory_name="Ines de Vries",
        signatory_title="Managing Director",
        signatory_email="ines@acme.example",
        actor=membership.user,
    )
    # when the signatory opens the link, types their name and confirms authority
    page.goto(f"{live_server.url}/dpa/sign/{token}/")
    assert page.get_by_role("heading", name="Data Processing Agreement for Acme Health B.V.").is_visible()
    screenshot("dpa-sign-page")
    assert axe("DPA signing page") == []
    page.get_by_label("Type your full name to sign").fill("Ines de Vries")
    page.get_by_label("I confirm that I am authorised").check()
    page.get_by_role("button", name="Sign the DPA").click()
    page.wait_for_load_state()
    # then the page confirms and the request waits for the countersignature
    assert page.get_by_text("Thank you, you signed the DPA.").is_visible()
    execution.refresh_from_db()
    assert execution.status == DpaExecution.Status.AWAITING_COUNTERSIGNATURE
    assert execution.customer_signed_user_agent  # the real browser's user agent
    # and the public version list is accessible too
    page.goto(f"{live_server.url}/dpa/")
    assert page.get_by_role("heading", name="Data Processing Agreement").is_visible()
    assert axe("DPA version list") == []
    assert DpaVersion.objects.count() == 1


def test_signatory_waits_for_the_agreement_then_signs(live_server, page, screenshot, axe, monkeypatch):
    # given a request whose agreement the worker has not rendered yet (its task is held back)
    from dpa.signing import enqueue
    from dpa.signing.agreement import dpa_execution_agreement_render
    from dpa.signing.services import dpa_execution_request

    held: list[int] = []
    monkeypatch.setattr(enqueue, "agreement_render", held.append)
    published_version(label="2026.1")
    membership = MembershipFactory(organisation__name="Acme Health B.V.", role=Membership.Role.ADMIN)
    execution, token = dpa_execution_request(
        membership=membership,
        signatory_name="Ines de Vries",
        signatory_title="Managing Director",
        signatory_email="ines@acme.example",
        actor=membership.user,
    )
    assert held == [execution.pk]
    # when the signatory opens the link, the page says the agreement is being prepared, with nothing to sign
    page.goto(f"{live_server.url}/dpa/sign/{token}/")
    assert page.get_by_role("heading", name="Your agreement is being prepared").is_visible()
    assert page.get_by_role("link", name="Refresh").is_visible()
    assert page.get_by_role("button", name="Sign the DPA").count() == 0
    screenshot("dpa-sign-page-preparing")
    # The page checks in the background (static/js/poll.js) instead of reloading itself on a timer: nothing moves
    # for a screen reader while it waits (axe's "meta-refresh", WCAG 2.2.1, would flag a timed reload).
    assert axe("DPA signing page, agreement being prepared") == []
    # when the worker has rendered it, the page reloads itself once and offers it for signature
    dpa_execution_agreement_render(execution_id=execution.pk)
    page.get_by_role("button", name="Sign the DPA").wait_for(timeout=10_000)
    page.get_by_label("Type your full name to sign").fill("Ines de Vries")
    page.get_by_label("I confirm that I am authorised").check()
    page.get_by_role("button", name="Sign the DPA").click()
    page.wait_for_load_state()
    assert page.get_by_text("Thank you, you signed the DPA.").is_visible()
    execution.refresh_from_db()
    assert execution.status == DpaExecution.Status.AWAITING_COUNTERSIGNATURE
