"""Rename the flat URL names to namespaced ones (issue 16), from the explicit table below.

Usage (from the repository root):
    python docs-draft/urlns_rename.py scan     # list every occurrence of an old name, quoted or not
    python docs-draft/urlns_rename.py apply    # rewrite quoted occurrences ("old" / 'old') to "app:new"
    python docs-draft/urlns_rename.py check    # fail if any old name is still quoted anywhere

Only whole quoted strings are rewritten: `reverse("old")`, `{% url 'old' %}`, `"old"` in lists, dicts and
nav tuples. Unquoted occurrences (function names, prose) are listed by `scan` for a human to judge.
In each app's urls.py the `name="..."` keeps the short name without the namespace.
"""

import re
import subprocess
import sys
from pathlib import Path

# old name -> namespaced name (namespace = the app label)
TABLE = {
    # portal.audit
    "staff_audit": "audit:staff_list",
    "staff_audit_export": "audit:staff_export",
    "staff_audit_checkpoint": "audit:staff_checkpoint",
    # portal.deadlines
    "staff_calendar": "deadlines:staff_calendar",
    "dpa_staff_obligations": "deadlines:staff_list",
    "dpa_staff_obligation_new": "deadlines:staff_new",
    "dpa_staff_obligations_csv": "deadlines:staff_export_csv",
    "dpa_staff_obligations_ics": "deadlines:staff_export_ics",
    "dpa_staff_obligation_detail": "deadlines:staff_detail",
    "dpa_staff_obligation_evidence": "deadlines:staff_evidence",
    "dpa_obligations_feed": "deadlines:feed",
    # portal.delivery
    "staff_outbox": "delivery:staff_outbox",
    "staff_outbox_retry": "delivery:staff_outbox_retry",
    # portal.evidence
    "staff_issued_report": "evidence:staff_report",
    # portal.organisations
    "staff_organisations": "organisations:staff_list",
    "staff_organisation_edit": "organisations:staff_edit",
    "organisation_list": "organisations:list",
    "organisation_new": "organisations:new",
    "organisation_detail": "organisations:detail",
    "organisation_contacts": "organisations:contacts",
    "organisation_invite": "organisations:invite",
    "organisation_member": "organisations:member",
    "invitation_detail": "organisations:invitation",
    "api_token": "organisations:token",
    "api_token_revoke": "organisations:token_revoke",
    "staff_tokens": "organisations:staff_tokens",
    "staff_token_revoke": "organisations:staff_token_revoke",
    # portal.staff
    "staff_home": "staff:home",
    # portal.trust
    "trust_home": "trust:home",
    "access_request": "trust:access_request",
    "access_status": "trust:access_status",
    "trust_document_file": "trust:document_file",
    "staff_access_queue": "trust:staff_queue",
    "staff_access_bulk_approve": "trust:staff_bulk_approve",
    "staff_access_rules": "trust:staff_rules",
    "staff_nda_versions": "trust:staff_nda_versions",
    "staff_access_detail": "trust:staff_detail",
    "staff_documents": "trust:staff_documents",
    "staff_document_detail": "trust:staff_document_detail",
    "api_access_requests": "trust:api_access_requests",
    "api_access_request_approve": "trust:api_access_request_approve",
    "api_access_request_deny": "trust:api_access_request_deny",
    "api_nda": "trust:api_nda",
    "api_documents": "trust:api_documents",
    # subprocessors.listing
    "subprocessors_list": "listing:list",
    "subprocessors_history": "listing:history",
    "subprocessors_feed": "listing:feed",
    "subprocessors_csv": "listing:export_csv",
    "subprocessors_pdf": "listing:export_pdf",
    "staff_subprocessors": "listing:staff_list",
    "staff_subprocessor_new": "listing:staff_new",
    "staff_subprocessor_edit": "listing:staff_edit",
    "api_subprocessor_list": "listing:api_list",
    "api_subprocessor_detail": "listing:api_detail",
    # subprocessors.changes
    "subprocessors_subscribe": "changes:subscribe",
    "subprocessors_subscribe_sent": "changes:subscribe_sent",
    "subprocessors_subscribe_confirm": "changes:subscribe_confirm",
    "subprocessors_unsubscribe": "changes:unsubscribe",
    "webhook_list": "changes:webhook_list",
    "webhook_remove": "changes:webhook_remove",
    "staff_change_list": "changes:staff_list",
    "staff_change_new": "changes:staff_new",
    "staff_change_detail": "changes:staff_detail",
    "staff_change_edit": "changes:staff_edit",
    "staff_change_delete": "changes:staff_delete",
    "staff_change_announce": "changes:staff_announce",
    "staff_change_withdraw": "changes:staff_withdraw",
    "staff_change_postpone": "changes:staff_postpone",
    "staff_change_alternate": "changes:staff_alternate",
    "staff_change_notice": "changes:staff_notice",
    "staff_change_notice_report": "changes:staff_notice_report",
    "staff_change_notice_export": "changes:staff_notice_export",
    "staff_objection_detail": "changes:staff_objection_detail",
    "api_change_list": "changes:api_list",
    "api_change_objections": "changes:api_objections",
    "staff_webhook_deliveries": "changes:staff_webhook_deliveries",
    "staff_webhook_delivery_retry": "changes:staff_webhook_delivery_retry",
    # subprocessors.objections
    "change_object": "objections:new",
    "objection_list": "objections:list",
    "objection_detail": "objections:detail",
    # dpa.versions
    "dpa_versions": "versions:list",
    "dpa_version_detail": "versions:detail",
    "dpa_version_pdf": "versions:pdf",
    "dpa_diff": "versions:diff",
    "staff_dpa_versions": "versions:staff_list",
    "staff_dpa_version_new": "versions:staff_new",
    "staff_dpa_version": "versions:staff_edit",
    "staff_dpa_version_publish": "versions:staff_publish",
    "staff_dpa_version_preview": "versions:staff_preview",
    "api_dpa_versions": "versions:api_list",
    "api_dpa_version": "versions:api_detail",
    "api_dpa_version_publish": "versions:api_publish",
    # dpa.signing
    "dpa_verify": "signing:verify",
    "dpa_sign": "signing:sign",
    "dpa_sign_pdf": "signing:sign_pdf",
    "dpa_execution_request": "signing:request",
    "dpa_executed_pdf": "signing:executed_pdf",
    "dpa_execution_withdraw": "signing:withdraw",
    "staff_dpa_executions": "signing:staff_list",
    "staff_dpa_register_pdf": "signing:staff_register_pdf",
    "staff_dpa_register_csv": "signing:staff_register_csv",
    "staff_dpa_execution": "signing:staff_detail",
    "staff_dpa_execution_pdf": "signing:staff_pdf",
    "api_dpa_executions": "signing:api_list",
    "api_dpa_verify": "signing:api_verify",
    # dpa.breaches
    "dpa_staff_breaches": "breaches:staff_list",
    "dpa_staff_breach_new": "breaches:staff_new",
    "dpa_staff_breach_detail": "breaches:staff_detail",
    "dpa_staff_breach_edit": "breaches:staff_edit",
    "dpa_staff_breach_send": "breaches:staff_send",
    "dpa_staff_breach_resend": "breaches:staff_resend",
    "dpa_staff_breach_followup": "breaches:staff_followup",
    "dpa_staff_breach_add_orgs": "breaches:staff_add_organisations",
    "dpa_staff_breach_report": "breaches:staff_report",
    "dpa_breach_ack": "breaches:ack",
    "dpa_org_breach_detail": "breaches:notification_detail",
}

SUFFIXES = (".py", ".html", ".txt", ".js", ".md", ".yaml", ".toml", ".json")
SKIP = ("docs-draft/",)
WORD = re.compile(r"(?<![\w:./-])(" + "|".join(sorted(map(re.escape, TABLE), key=len, reverse=True)) + r")(?![\w/-])")
# A quoted old name followed by `: Spec(` is a table's id in tests/portal/test_staff_tables.py, not a URL name.
QUOTED = re.compile(
    r"""(?<!\bname=)(["'])(""" + "|".join(sorted(map(re.escape, TABLE), key=len, reverse=True)) + r""")\1(?!: Spec\()"""
)
NAME_KWARG = re.compile(r"""name=(["'])([a-z_]+)\1""")


def files():
    out = subprocess.run(["git", "ls-files"], capture_output=True, text=True, check=True).stdout.split()  # noqa: S607 - a developer tool run from the repository
    return [Path(p) for p in out if p.endswith(SUFFIXES) and not p.startswith(SKIP) and Path(p).exists()]


def is_app_urls(path: Path) -> bool:
    return path.name == "urls.py" and len(path.parts) == 3


def scan():
    for path in files():
        for number, line in enumerate(path.read_text().splitlines(), 1):
            for match in WORD.finditer(line):
                start = match.start()
                quoted = (
                    start > 0 and line[start - 1] in "\"'" and line[match.end() : match.end() + 1] == line[start - 1]
                )
                print(f"{'Q' if quoted else '-'} {path}:{number}: {match.group(1)}: {line.strip()[:140]}")  # noqa: T201 - a command-line tool


def rewrite_app_urls(path: Path, text: str) -> str:
    """`name="old"` becomes the short name; `app_name` is added once, after the imports."""

    def short(match):
        old = match.group(2)
        return f'name="{TABLE[old].split(":", 1)[1]}"' if old in TABLE else match.group(0)

    text = NAME_KWARG.sub(short, text)
    labels = {TABLE[m.group(2)].split(":")[0] for m in NAME_KWARG.finditer(path.read_text()) if m.group(2) in TABLE}
    if "app_name" not in text and labels:
        (label,) = labels
        text = text.replace("\nurlpatterns = [", f'\napp_name = "{label}"\n\nurlpatterns = [', 1)
    return text


def apply():
    for path in files():
        text = path.read_text()
        new = rewrite_app_urls(path, text) if is_app_urls(path) else text
        new = QUOTED.sub(lambda m: f"{m.group(1)}{TABLE[m.group(2)]}{m.group(1)}", new)
        if new != text:
            path.write_text(new)
            print(f"rewrote {path}")  # noqa: T201 - a command-line tool


def check():
    left = [
        f"{path}:{number}: {line.strip()}"
        for path in files()
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if QUOTED.search(line)
    ]
    print("\n".join(left) or "no quoted old URL name left")  # noqa: T201 - a command-line tool
    return 1 if left else 0


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "scan"
    sys.exit({"scan": scan, "apply": apply, "check": check}[command]() or 0)
