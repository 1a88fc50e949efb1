import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from portal.audit.models import AuditEvent
from portal.core.errors import ApplicationError
from subprocessors.listing.cache import public_list_version
from subprocessors.listing.models import Subprocessor, SubprocessorRevision
from subprocessors.listing.selectors import history_revisions, last_updated, subprocessors_as_of, subprocessors_at
from subprocessors.listing.services import NOTICE_REQUIRED, subprocessor_create, subprocessor_update
from tests.listing.factories import make_subprocessor, sp_data

pytestmark = pytest.mark.django_db

AMS = dt.timezone(dt.timedelta(hours=1))


def test_create_writes_revision_and_audit(legal):
    # when
    sp = subprocessor_create(
        data=sp_data(category="controller_data", processes_customer_data=False, name="Mollie", slug="mollie"),
        actor=legal,
    )
    # then
    rev = SubprocessorRevision.objects.get()
    assert rev.subprocessor == sp
    assert rev.kind == "added"
    assert rev.actor == legal
    assert rev.snapshot["name"] == "Mollie"
    assert "name" in rev.changed_fields
    assert rev.public
    assert sp.engaged_since is not None
    event = AuditEvent.objects.get(action="subprocessor.created")
    assert event.actor_label == legal.email
    assert event.details["after"]["slug"] == "mollie"


def test_adding_active_customer_data_processor_directly_is_refused(legal):
    with pytest.raises(ApplicationError) as exc:
        subprocessor_create(data=sp_data(), actor=legal)
    assert exc.value.message == NOTICE_REQUIRED
    assert not Subprocessor.objects.exists()
    assert not SubprocessorRevision.objects.exists()
    assert not AuditEvent.objects.exists()


def test_proposed_customer_data_processor_may_be_created_and_stays_off_public_history(legal):
    sp = subprocessor_create(data=sp_data(status="proposed"), actor=legal)
    assert sp.status == "proposed"
    assert SubprocessorRevision.objects.get().public is False
    assert list(history_revisions()) == []
    assert last_updated() is None


def test_typo_edit_on_active_row_is_allowed_and_recorded(legal):
    sp = make_subprocessor()
    subprocessor_update(subprocessor=sp, data={"purpose": "AI model inference"}, actor=legal)
    rev = SubprocessorRevision.objects.order_by("-id").first()
    assert rev.kind == "changed"
    assert rev.changed_fields == ["purpose"]
    assert rev.before == {"purpose": "AI model processing"}
    assert rev.actor_label == legal.email
    sp.refresh_from_db()
    assert sp.purpose == "AI model inference"


@pytest.mark.parametrize(
    "change",
    [
        {"legal_entity": "Other Corp"},
        {"hq_country": "US"},
        {"processing_region": "US"},
        {"eea_only": False},
        {"retains_prompts": True},
        {"trains_on_data": True},
        {"category": "customer_data"},
    ],
)
def test_replacing_or_weakening_active_customer_data_processor_is_refused(legal, change):
    sp = make_subprocessor()
    revisions = SubprocessorRevision.objects.count()
    with pytest.raises(ApplicationError, match="change notice"):
        subprocessor_update(subprocessor=sp, data=change, actor=legal)
    assert SubprocessorRevision.objects.count() == revisions
    sp.refresh_from_db()
    assert sp.legal_entity == "Mistral AI SAS"
    assert sp.hq_country == "FR"


def test_activating_proposed_customer_data_processor_needs_authorisation(legal):
    sp = subprocessor_create(data=sp_data(status="proposed"), actor=legal)
    with pytest.raises(ApplicationError, match="change notice"):
        subprocessor_update(subprocessor=sp, data={"status": "active"}, actor=legal)
    subprocessor_update(subprocessor=sp, data={"status": "active"}, actor=legal, authorised_by="change notice 1")
    sp.refresh_from_db()
    assert sp.status == "active"
    rev = SubprocessorRevision.objects.order_by("-id").first()
    assert rev.kind == "added"
    assert rev.public
    assert rev.note == "change notice 1"


def test_controller_data_row_becoming_customer_data_processor_is_refused(legal):
    sp = make_subprocessor(category="controller_data", processes_customer_data=False, slug="brevo", name="Brevo")
    with pytest.raises(ApplicationError, match="change notice"):
        subprocessor_update(subprocessor=sp, data={"processes_customer_data": True}, actor=legal)


def test_retire_sets_date_and_kind(legal):
    sp = make_subprocessor()
    at = dt.datetime(2026, 3, 2, 23, 30, tzinfo=dt.UTC)  # 00:30 on 3 March in Amsterdam
    subprocessor_update(subprocessor=sp, data={"status": "retired"}, actor=legal, at=at)
    sp.refresh_from_db()
    assert sp.retired_on == dt.date(2026, 3, 3)
    assert SubprocessorRevision.objects.order_by("-id").first().kind == "retired"


def test_update_without_change_records_nothing(legal):
    sp = make_subprocessor()
    subprocessor_update(subprocessor=sp, data={"purpose": sp.purpose}, actor=legal)
    assert SubprocessorRevision.objects.count() == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [("hq_country", "XX"), ("hq_country", "nl"), ("processing_region", "ZZ"), ("hq_country", "EU")],
)
def test_country_codes_are_validated(legal, field, value):
    with pytest.raises(ValidationError) as exc:
        subprocessor_create(data=sp_data(**{field: value}), actor=legal, authorised_by="x")
    assert field in exc.value.message_dict
    assert not Subprocessor.objects.exists()


def test_eu_is_accepted_as_processing_region(legal):
    sp = make_subprocessor(processing_region="EU")
    assert sp.processing_region == "EU"


def test_last_updated_is_derived_from_history():
    make_subprocessor(at=dt.datetime(2026, 5, 4, 9, 0, tzinfo=dt.UTC))
    make_subprocessor(slug="b", name="B", at=dt.datetime(2026, 2, 1, 9, 0, tzinfo=dt.UTC))
    assert last_updated() == dt.date(2026, 5, 4)


def test_subprocessors_as_of_rebuilds_past_list(legal):
    # given: A engaged in January, renamed in March, retired in May; B added in April
    a = make_subprocessor(slug="a", name="Alpha", at=dt.datetime(2026, 1, 5, 10, tzinfo=dt.UTC))
    subprocessor_update(
        subprocessor=a, data={"name": "Alpha Cloud"}, actor=legal, at=dt.datetime(2026, 3, 1, 10, tzinfo=dt.UTC)
    )
    make_subprocessor(slug="b", name="Beta", at=dt.datetime(2026, 4, 1, 10, tzinfo=dt.UTC))
    subprocessor_update(
        subprocessor=a, data={"status": "retired"}, actor=legal, at=dt.datetime(2026, 5, 1, 10, tzinfo=dt.UTC)
    )
    # then
    assert subprocessors_as_of(dt.date(2026, 1, 4)) == []
    assert [s.name for s in subprocessors_as_of(dt.date(2026, 2, 1))] == ["Alpha"]
    assert [s.name for s in subprocessors_as_of(dt.date(2026, 3, 1))] == ["Alpha Cloud"]
    as_of_april = subprocessors_as_of(dt.date(2026, 4, 15))
    assert [s.name for s in as_of_april] == ["Alpha Cloud", "Beta"]
    assert as_of_april[0].pk == a.pk
    assert as_of_april[0].get_category_display() == "AI model providers"
    assert as_of_april[0].engaged_since == dt.date(2026, 1, 5)
    assert [s.name for s in subprocessors_as_of(dt.date(2026, 5, 2))] == ["Beta"]


def test_subprocessors_as_of_uses_portal_local_day(legal):
    # 23:30 UTC on 31 March is 1 April in Amsterdam (UTC+2 in summer time)
    make_subprocessor(at=dt.datetime(2026, 3, 31, 23, 30, tzinfo=dt.UTC))
    assert subprocessors_as_of(dt.date(2026, 3, 31)) == []
    assert len(subprocessors_as_of(dt.date(2026, 4, 1))) == 1


def test_subprocessors_at_is_exact_to_the_instant(legal):
    # given: Alpha added at 10:00:00 and renamed at 10:14:30 on the same day
    added = dt.datetime(2026, 11, 30, 10, 0, tzinfo=dt.UTC)
    renamed = dt.datetime(2026, 11, 30, 10, 14, 30, tzinfo=dt.UTC)
    a = make_subprocessor(slug="a", name="Alpha", at=added)
    subprocessor_update(subprocessor=a, data={"name": "Alpha Cloud"}, actor=legal, at=renamed)
    # then: the instant decides, not the day
    assert subprocessors_at(added - dt.timedelta(microseconds=1)) == []
    assert [s.name for s in subprocessors_at(added)] == ["Alpha"]
    assert [s.name for s in subprocessors_at(renamed - dt.timedelta(seconds=1))] == ["Alpha"]
    assert [s.name for s in subprocessors_at(renamed)] == ["Alpha Cloud"]
    assert [s.name for s in subprocessors_as_of(dt.date(2026, 11, 30))] == ["Alpha Cloud"]


def test_saving_a_row_invalidates_cache_on_commit(legal, django_capture_on_commit_callbacks):
    before = public_list_version()
    with django_capture_on_commit_callbacks(execute=True):
        make_subprocessor()
    assert public_list_version() != before
