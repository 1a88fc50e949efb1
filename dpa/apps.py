from django.apps import AppConfig


class DpaConfig(AppConfig):
    name = "dpa"
    verbose_name = "DPA and trust portal"
    nav_items = [("Documents", "trust_home")]
    staff_nav_items = [
        ("Access requests", "staff_access_queue"),
        ("Auto-approval rules", "staff_access_rules"),
        ("Trust documents", "staff_documents"),
    ]

    def staff_panels(self, request):
        from django.urls import reverse
        from django.utils import timezone

        from dpa.models import AccessRequest

        pending = AccessRequest.objects.filter(status=AccessRequest.Status.PENDING)
        overdue = pending.filter(due_at__lt=timezone.now()).count()
        return [
            {
                "title": "Access requests pending" + (f" ({overdue} overdue)" if overdue else ""),
                "count": pending.count(),
                "url": reverse("staff_access_queue"),
                "link_text": "Open the queue",
            }
        ]

    def organisation_sections(self, request, org):
        from django.template.loader import render_to_string

        from dpa.selectors.access import active_access_for, pending_request_for

        html = render_to_string(
            "dpa/includes/org_access_section.html",
            {"grant": active_access_for(request.user), "pending": pending_request_for(request.user), "org": org},
            request=request,
        )
        return [{"title": "Trust-portal documents", "html": html}]

    def load_demo(self):
        from dpa.demo import load_demo

        load_demo()
