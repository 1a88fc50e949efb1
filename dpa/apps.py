from django.apps import AppConfig
from django.urls import reverse


class DpaConfig(AppConfig):
    name = "dpa"
    verbose_name = "DPA and trust portal"
    nav_items = [("DPA", "dpa_versions"), ("Documents", "trust_home")]
    staff_nav_items = [
        ("Access requests", "staff_access_queue"),
        ("Auto-approval rules", "staff_access_rules"),
        ("NDA versions", "staff_nda_versions"),
        ("Trust documents", "staff_documents"),
        ("DPA versions", "staff_dpa_versions"),
        ("Signed DPAs", "staff_dpa_executions"),
        ("Breaches", "dpa_staff_breaches"),
        ("Obligations", "dpa_staff_obligations"),
    ]

    def staff_panels(self, request):
        return [*self._breach_panels(), *self._signing_panels()]

    def _signing_panels(self):
        from dpa.selectors.signing import awaiting_countersignature_count

        return [
            {
                "title": "DPAs to countersign",
                "count": awaiting_countersignature_count(),
                "url": reverse("staff_dpa_executions") + "?status=awaiting_countersignature",
                "link_text": "Countersign",
            }
        ]

    def _breach_panels(self):
        from dpa.selectors.breaches import incidents_for_dashboard
        from dpa.selectors.obligations import obligation_counts

        counts = obligation_counts()
        return [
            *self._access_panels(),
            {
                "title": "Open breach incidents",
                "count": incidents_for_dashboard().count(),
                "url": reverse("dpa_staff_breaches"),
                "link_text": "Breach dashboard",
            },
            {
                "title": "Overdue obligations",
                "count": counts["overdue"],
                "url": reverse("dpa_staff_obligations") + "?state=overdue",
                "link_text": "Review overdue obligations",
            },
            {
                "title": "Obligations due within 2 days",
                "count": counts["due_soon"],
                "url": reverse("dpa_staff_obligations") + "?state=due_soon",
                "link_text": "Review due soon",
            },
        ]

    def _access_panels(self):
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

    def organisation_sections(self, request, membership):
        from django.template.loader import render_to_string

        from dpa.selectors.access import active_access_for, pending_request_for
        from dpa.views.breaches_customer import breach_sections
        from dpa.views.signing import organisation_section

        grant = active_access_for(request.user)
        access = {"grant": grant, "pending": None if grant else pending_request_for(request.user)}
        access["org"] = membership.organisation
        return [
            organisation_section(request, membership),
            {
                "id": "access",
                "order": 20,
                "title": "Trust-portal documents",
                "html": render_to_string("dpa/includes/org_access_section.html", access, request=request),
                "summary": [
                    {
                        "label": "Your trust-portal access",
                        "html": render_to_string("dpa/includes/home_summary_access.html", access, request=request),
                    }
                ],
            },
            *breach_sections(request, membership),
        ]

    def load_demo(self):
        from dpa.demo import load_demo as load_breaches_demo
        from dpa.demo_access import load_access_demo
        from dpa.demo_versions import load_demo as load_versions_demo

        load_access_demo()
        load_versions_demo()
        load_breaches_demo()
