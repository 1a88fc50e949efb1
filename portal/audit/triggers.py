"""PostgreSQL triggers (django-pgtrigger) that keep evidence rows immutable even for raw SQL.

Declared in model Meta, installed by migrations; pgtrigger's migration operations do nothing on SQLite, where the
models' own guards are the only protection. The errors name the refused operation and the trigger, say which row,
and carry a HINT with what to do instead, e.g.

    UPDATE refused by pgtrigger_dpa_execution_executed_is_final_1e0c4: DPA execution 7c1… is executed ...
    HINT: Request a new execution of the DPA instead; the executed one remains the evidence.
"""

import pgtrigger
from pgtrigger import utils as pgtrigger_utils


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _raise(*, message: str, hint: str, args: tuple[str, ...]) -> str:
    # RAISE's format string must be a literal; `%` placeholders are filled in order by the expressions after it.
    params = ", ".join(("TG_OP", "TG_NAME", *args))
    return f"RAISE EXCEPTION {_literal('% refused by %: ' + message)}, {params} USING HINT = {_literal(hint)};"


class Refuse(pgtrigger.Trigger):
    """A row-level BEFORE trigger that raises instead of letting the row change (like pgtrigger.Protect, with a
    message a person can act on). `message` may hold `%` placeholders, filled by `args` (SQL such as OLD.label)."""

    when = pgtrigger.Before

    def __init__(self, *, message: str, hint: str, args: tuple[str, ...] = (), **kwargs):
        self.message = message
        self.hint = hint
        self.args = args
        super().__init__(**kwargs)

    def get_func(self, model):
        return _raise(message=self.message, hint=self.hint, args=self.args)


class RefuseTruncate(Refuse):
    """TRUNCATE fires no row triggers, so a statement-level trigger refuses it while `protected` (an SQL condition
    on the table's rows) matches any row; emptying a table that holds no evidence stays possible."""

    level = pgtrigger.Statement
    operation = pgtrigger.Truncate

    def __init__(self, *, protected: str, **kwargs):
        self.protected = protected
        super().__init__(**kwargs)

    def get_func(self, model):
        refuse = _raise(message=self.message, hint=self.hint, args=self.args)
        table = pgtrigger_utils.quote(model._meta.db_table)
        # Trigger DDL built from constants in model Meta, never from input.
        return f"IF EXISTS (SELECT 1 FROM {table} WHERE {self.protected}) THEN {refuse} END IF; RETURN NULL;"  # noqa: S608
