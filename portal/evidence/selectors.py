from portal.evidence.models import IssuedReport


def issued_report_by_sha256(sha256: str) -> IssuedReport | None:
    """The evidence report the portal issued with exactly these bytes (the first time, if issued twice), or None.
    Anything that is not a SHA-256 in hex is simply not found."""
    sha256 = (sha256 or "").strip().lower()
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        return None
    return IssuedReport.objects.filter(sha256=sha256).order_by("issued_at", "id").first()


def issued_reports_about(*, subject, kind: str, limit: int = 10) -> list[IssuedReport]:
    """The newest reports of `kind` issued about `subject`, newest first."""
    return list(
        IssuedReport.objects.filter(kind=kind, subject_type=subject._meta.label, subject_id=str(subject.pk)).order_by(
            "-issued_at", "-id"
        )[:limit]
    )
