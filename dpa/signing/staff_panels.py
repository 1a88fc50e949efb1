import datetime as dt

from django.urls import reverse

from dpa.signing.models import DpaExecution

ROWS = 5


def countersign_panel(now: dt.datetime) -> dict:
    waiting = DpaExecution.objects.filter(status=DpaExecution.Status.AWAITING_COUNTERSIGNATURE)
    rows = list(waiting.select_related("organisation", "version").order_by("customer_signed_at", "id")[:ROWS])
    return {
        "key": "countersign",
        "order": 30,
        "title": "DPAs to countersign",
        "count": waiting.count(),
        "alert": "",
        "url": reverse("signing:staff_list") + "?status=awaiting_countersignature",
        "link_text": "Signed DPAs",
        "template": "signing/staff/panels/countersign.html",
        "rows": rows,
        "empty": "No customer signature is waiting for ours.",
        "now": now,
    }
