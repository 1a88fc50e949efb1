"""Constraints for breach delivery states, and two PostgreSQL triggers: an incident's earliest awareness time
only ever moves earlier, and a recorded delivery (time and Message-ID) of a notice or update never changes —
not even through raw SQL or a bulk update. (SQLite, used only for a first look, relies on the services.)"""

from django.db import migrations, models

FORWARDS = """
CREATE OR REPLACE FUNCTION dpa_breach_earliest_aware() RETURNS trigger AS $$
BEGIN
  IF NEW.earliest_aware_at > OLD.earliest_aware_at THEN
    RAISE EXCEPTION 'Breach incident %: the earliest awareness time can only move earlier', OLD.public_id;
  END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER dpa_breach_earliest_aware BEFORE UPDATE ON dpa_breachincident
  FOR EACH ROW EXECUTE FUNCTION dpa_breach_earliest_aware();

CREATE OR REPLACE FUNCTION dpa_breach_delivery_fixed() RETURNS trigger AS $$
BEGIN
  IF OLD.delivered_at IS NOT NULL AND (NEW.delivered_at, NEW.delivered_message_id)
      IS DISTINCT FROM (OLD.delivered_at, OLD.delivered_message_id) THEN
    RAISE EXCEPTION '% %: a recorded delivery cannot change', TG_TABLE_NAME, OLD.id;
  END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER dpa_breach_notice_delivery_fixed BEFORE UPDATE ON dpa_breachnotification
  FOR EACH ROW EXECUTE FUNCTION dpa_breach_delivery_fixed();
CREATE TRIGGER dpa_breach_followup_delivery_fixed BEFORE UPDATE ON dpa_breachfollowup
  FOR EACH ROW EXECUTE FUNCTION dpa_breach_delivery_fixed();
"""

BACKWARDS = """
DROP TRIGGER IF EXISTS dpa_breach_earliest_aware ON dpa_breachincident;
DROP FUNCTION IF EXISTS dpa_breach_earliest_aware();
DROP TRIGGER IF EXISTS dpa_breach_notice_delivery_fixed ON dpa_breachnotification;
DROP TRIGGER IF EXISTS dpa_breach_followup_delivery_fixed ON dpa_breachfollowup;
DROP FUNCTION IF EXISTS dpa_breach_delivery_fixed();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARDS, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARDS, params=None)


class Migration(migrations.Migration):
    dependencies = [("dpa", "0008_breach_delivery_data")]

    operations = [
        migrations.AlterField(
            model_name="breachincident",
            name="earliest_aware_at",
            field=models.DateTimeField(
                help_text="The earliest awareness time ever recorded: the 48-hour clock starts here."
            ),
        ),
        migrations.AddConstraint(
            model_name="breachawarenesschange",
            constraint=models.CheckConstraint(
                condition=models.Q(("reason", ""), _negated=True), name="breach_awareness_change_has_reason"
            ),
        ),
        migrations.AddConstraint(
            model_name="breachawarenesschange",
            constraint=models.CheckConstraint(
                condition=models.Q(("earliest_after__lte", models.F("earliest_before"))),
                name="breach_earliest_aware_only_decreases",
            ),
        ),
        migrations.AddConstraint(
            model_name="breachfollowup",
            constraint=models.CheckConstraint(
                condition=models.Q(("status__in", ("queued", "delivered", "failed"))), name="breach_followup_status"
            ),
        ),
        migrations.AddConstraint(
            model_name="breachfollowup",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(
                        ("delivered_at__isnull", False),
                        ("status", "delivered"),
                        models.Q(("delivered_message_id", ""), _negated=True),
                    ),
                    models.Q(models.Q(("status", "delivered"), _negated=True), ("delivered_at__isnull", True)),
                    _connector="OR",
                ),
                name="breach_followup_delivered_has_time_and_message_id",
            ),
        ),
        migrations.AddConstraint(
            model_name="breachfollowup",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("status", "failed"), _negated=True), ("failed_at__isnull", False), _connector="OR"
                ),
                name="breach_followup_failed_has_time",
            ),
        ),
        migrations.AddConstraint(
            model_name="breachincident",
            constraint=models.CheckConstraint(
                condition=models.Q(("earliest_aware_at__lte", models.F("aware_at"))),
                name="breach_earliest_aware_not_after_aware",
            ),
        ),
        migrations.AddConstraint(
            model_name="breachnotification",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("queued_at__isnull", True), ("status", "drafted")),
                    models.Q(models.Q(("status", "drafted"), _negated=True), ("queued_at__isnull", False)),
                    _connector="OR",
                ),
                name="breach_notice_queued_has_time",
            ),
        ),
        migrations.AddConstraint(
            model_name="breachnotification",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(
                        ("delivered_at__isnull", False),
                        ("status__in", ("delivered", "acknowledged")),
                        models.Q(("delivered_message_id", ""), _negated=True),
                    ),
                    models.Q(
                        models.Q(("status__in", ("delivered", "acknowledged")), _negated=True),
                        ("delivered_at__isnull", True),
                    ),
                    _connector="OR",
                ),
                name="breach_notice_delivered_has_time_and_message_id",
            ),
        ),
        migrations.AddConstraint(
            model_name="breachnotification",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("status", "failed"), _negated=True), ("failed_at__isnull", False), _connector="OR"
                ),
                name="breach_notice_failed_has_time",
            ),
        ),
        migrations.AddConstraint(
            model_name="breachnotification",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("status", "acknowledged"), _negated=True),
                    ("acknowledged_at__isnull", False),
                    _connector="OR",
                ),
                name="breach_notice_acknowledged_has_time",
            ),
        ),
        migrations.AddConstraint(
            model_name="breachnotification",
            constraint=models.CheckConstraint(
                condition=models.Q(("acknowledged_at__isnull", True), ("queued_at__isnull", False), _connector="OR"),
                name="breach_ack_after_send",
            ),
        ),
        migrations.RunPython(forwards, backwards),
    ]
