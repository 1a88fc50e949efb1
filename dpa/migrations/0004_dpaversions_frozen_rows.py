"""PostgreSQL triggers: a published or superseded DPA version's text, and an executed DPA, never change —
not even through raw SQL or a bulk update that bypasses the model. (SQLite, used only for a first look,
relies on the model's guards.)"""

from django.db import migrations

FORWARDS = """
CREATE OR REPLACE FUNCTION dpa_version_frozen() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    IF OLD.status <> 'draft' THEN
      RAISE EXCEPTION 'DPA version % is %: it cannot be deleted', OLD.label, OLD.status;
    END IF;
    RETURN OLD;
  END IF;
  IF OLD.status <> 'draft' AND (
      (NEW.label, NEW.title, NEW.body, NEW.change_summary, NEW.effective_date)
      IS DISTINCT FROM (OLD.label, OLD.title, OLD.body, OLD.change_summary, OLD.effective_date)
      OR NEW.status = 'draft') THEN
    RAISE EXCEPTION 'DPA version % is %: its text can no longer be changed', OLD.label, OLD.status;
  END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER dpa_version_frozen BEFORE UPDATE OR DELETE ON dpa_dpaversion
  FOR EACH ROW EXECUTE FUNCTION dpa_version_frozen();

CREATE OR REPLACE FUNCTION dpa_execution_frozen() RETURNS trigger AS $$
BEGIN
  IF OLD.status = 'executed' THEN
    RAISE EXCEPTION 'Executed DPA % cannot be changed or deleted', OLD.public_id;
  END IF;
  IF TG_OP = 'DELETE' THEN
    RETURN OLD;
  END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER dpa_execution_frozen BEFORE UPDATE OR DELETE ON dpa_dpaexecution
  FOR EACH ROW EXECUTE FUNCTION dpa_execution_frozen();
"""

BACKWARDS = """
DROP TRIGGER IF EXISTS dpa_version_frozen ON dpa_dpaversion;
DROP FUNCTION IF EXISTS dpa_version_frozen();
DROP TRIGGER IF EXISTS dpa_execution_frozen ON dpa_dpaexecution;
DROP FUNCTION IF EXISTS dpa_execution_frozen();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARDS, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARDS, params=None)


class Migration(migrations.Migration):
    dependencies = [("dpa", "0003_merge_0001_breaches_0002_dpaversions_legal")]

    operations = [migrations.RunPython(forwards, backwards)]
