"""The signed-DPA register: PDF issued as evidence, and the same as CSV."""

import csv
import datetime as dt
import hashlib
import io
from io import BytesIO

import pytest
from django.urls import reverse
from pypdf import PdfReader

from dpa.signing.models import DpaExecution
from portal.audit.models import AuditEvent
from portal.evidence.models import IssuedReport
from portal.evidence.selectors import issued_report_by_sha256
from tests.auth import login
from tests.organisations.factories import OrganisationFactory, UserFactory
from tests.signing.factories import DpaVersionFactory

pytestmark = pytest.mark.django_db

AT = dt.datetime(2026, 11, 2, 9, 30, tzinfo=dt.UTC)


def _text(content: bytes) -> str:
    return " ".join(" ".join(page.extract_text() for page in PdfReader(BytesIO(content)).pages).split())


def _execution(organisation, version, *, n: int, status=DpaExecution.Status.EXECUTED, countersigner=None):
    executed = status == DpaExecution.Status.EXECUTED
    signed = AT + dt.timedelta(days=n)
    return DpaExecution.objects.create(
        organisation=organisation,
        version=version,
        status=status,
        agreement_path="dpa/pdf/none.pdf",
        agreement_sha256="a" * 64,
        signatory_name=f"Signatory {n}",
        signatory_title="Managing Director",
        signatory_email=f"signatory{n}@customer.example",
        link_expires_at=signed + dt.timedelta(days=14),
        customer_signed_name=f"Signatory {n}" if executed else "",
        customer_signed_at=signed if executed else None,
        countersigned_by=countersigner if executed else None,
        countersigner_name="Mara Jansen" if executed else "",
        countersigner_title="General Counsel" if executed else "",
        countersigned_at=signed + dt.timedelta(hours=3) if executed else None,
        executed_at=signed + dt.timedelta(hours=3) if executed else None,
        executed_sha256=hashlib.sha256(f"executed {n}".encode()).hexdigest() if executed else None,
        executed_path=f"dpa/executed/{n}.pdf" if executed else "",
        decline_reason="" if status != DpaExecution.Status.DECLINED else "Our counsel prefers our own template.",
    )


@pytest.fixture
def register(legal, org, other_org):
    version = DpaVersionFactory(label="2026.1")
    newer = DpaVersionFactory(label="2026.2")
    return [
        _execution(org, version, n=1, countersigner=legal),
        _execution(other_org, newer, n=2, countersigner=legal),
        _execution(OrganisationFactory(name="Initech N.V."), newer, n=3, status=DpaExecution.Status.DECLINED),
    ]


def test_register_pdf_lists_every_executed_dpa_with_both_signatories_and_the_hash(client, legal, register):
    login(client, legal)
    response = client.get(reverse("signing:staff_register_pdf"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = _text(response.content)
    assert "Register of executed data processing agreements" in text
    assert "2 executed DPAs" in text
    first, second, declined = register
    for execution, org_name, label in ((first, "Acme Health B.V.", "2026.1"), (second, "Globex GmbH", "2026.2")):
        assert org_name in text
        assert label in text
        assert f"{execution.customer_signed_name}, Managing Director" in text
        assert execution.signatory_email in text
        assert execution.executed_sha256 in text.replace(" ", "")
    assert "signed 2026-11-03 10:30:00 CET" in text  # the customer's signature, in the portal's time zone
    assert "Mara Jansen, General Counsel" in text
    assert "counsel@processor.example · signed 2026-11-03 13:30:00 CET" in text
    assert "Initech" not in text  # declined: not executed
    assert text.index("Acme Health B.V.") < text.index("Globex GmbH")  # oldest execution first
    assert "by counsel@processor.example" in text


def test_register_pdf_is_recorded_and_audited(client, legal, register):
    login(client, legal)
    response = client.get(reverse("signing:staff_register_pdf"))
    sha = hashlib.sha256(response.content).hexdigest()
    report = IssuedReport.objects.get()
    assert report.kind == "dpa_register"
    assert report.sha256 == sha
    assert report.path.startswith("reports/dpa_register/")
    assert report.issued_by_label == "counsel@processor.example"
    event = AuditEvent.objects.get(action="report.issued")
    assert event.details["kind"] == "dpa_register"
    assert event.details["sha256"] == sha
    assert (event.target_type, event.target_id) == ("evidence.IssuedReport", str(report.pk))
    assert issued_report_by_sha256(sha).description.startswith("This is the signed-DPA register of the 2 executed DPAs")


def test_empty_register_says_so(client, legal):
    login(client, legal)
    response = client.get(reverse("signing:staff_register_pdf"))
    assert response.status_code == 200
    assert "No DPA has been executed yet." in _text(response.content)
    assert IssuedReport.objects.get().label.startswith("the 0 executed DPAs as of ")


def test_register_csv_has_the_same_facts(client, legal, register):
    login(client, legal)
    response = client.get(reverse("signing:staff_register_csv"))
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [r["organisation"] for r in rows] == ["Acme Health B.V.", "Globex GmbH"]
    first = rows[0]
    assert first["version"] == "2026.1"
    assert first["customer_signatory"] == "Signatory 1"
    assert first["customer_signed_at"] == "2026-11-03T09:30:00+00:00"
    assert first["processor_signatory"] == "Mara Jansen"
    assert first["processor_signatory_account"] == "counsel@processor.example"
    assert first["executed_at"] == "2026-11-03T12:30:00+00:00"
    assert first["executed_sha256"] == register[0].executed_sha256
    assert AuditEvent.objects.filter(action="dpa.register_exported").count() == 1
    assert not IssuedReport.objects.exists()  # the CSV is an export, not an issued evidence PDF


def test_executions_list_links_both(client, legal):
    login(client, legal)
    page = client.get(reverse("signing:staff_list")).content.decode()
    assert reverse("signing:staff_register_pdf") in page
    assert reverse("signing:staff_register_csv") in page


def _staff_with_mfa():
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    user = UserFactory(is_staff=True)
    TOTP.activate(user, generate_totp_secret())
    return user


@pytest.mark.parametrize("name", ["signing:staff_register_pdf", "signing:staff_register_csv"])
def test_only_legal_staff_with_mfa_may_download_the_register(client, member, legal_no_mfa, register, name):
    url = reverse(name)
    response = client.get(url)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]  # anonymous
    login(client, member)
    assert client.get(url).status_code == 403  # a customer
    login(client, _staff_with_mfa())
    assert client.get(url).status_code == 403  # staff, not legal
    login(client, legal_no_mfa)
    response = client.get(url)
    assert response.status_code == 302
    assert "totp" in response["Location"]  # legal, no second factor
    assert not IssuedReport.objects.exists()
    assert not AuditEvent.objects.filter(action__in=("report.issued", "dpa.register_exported")).exists()


def test_register_queries_do_not_grow_with_the_register(client, legal, org, django_assert_max_num_queries):
    version = DpaVersionFactory(label="2026.1")
    organisations = [OrganisationFactory() for _ in range(30)]
    for n, organisation in enumerate(organisations):
        _execution(organisation, version, n=n, countersigner=legal)
    login(client, legal)
    with django_assert_max_num_queries(16):
        response = client.get(reverse("signing:staff_register_pdf"))
    assert _text(response.content).count("Managing Director") == 30


def test_register_pdf_is_signed_by_us(client, legal, register):
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature

    from portal.evidence import signing

    login(client, legal)
    content = client.get(reverse("signing:staff_register_pdf")).content
    (signature,) = PdfFileReader(BytesIO(content)).embedded_signatures
    status = validate_pdf_signature(signature, signer_validation_context=signing.validation_context())
    assert status.bottom_line
    assert status.intact
    assert status.trusted
    assert signing.certificate_owner(status.signing_cert) == "Routewise B.V."
    assert signature.sig_object["/Reason"] == "Register of executed DPAs of Routewise B.V."
    assert IssuedReport.objects.get().signed is True


def test_register_signing_failure_issues_nothing(client, legal, register, monkeypatch):
    from portal.evidence import signing

    def broken(*args, **kwargs):
        raise TimeoutError("TSA did not answer")

    monkeypatch.setattr(signing, "_sign_pdf", broken)
    login(client, legal)
    response = client.get(reverse("signing:staff_register_pdf"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("signing:staff_list")
    assert signing.SIGNING_FAILED in response.content.decode().replace("&#x27;", "'")
    assert not IssuedReport.objects.exists()
