from django.apps import AppConfig
from django.urls import reverse


class DpaConfig(AppConfig):
    name = "dpa"
    staff_nav_items = (
        ("Breaches", "dpa_staff_breaches"),
        ("Obligations", "dpa_staff_obligations"),
    )

    def staff_panels(self, request):
        from dpa.selectors.breaches import incidents_for_dashboard
        from dpa.selectors.obligations import obligation_counts

        counts = obligation_counts()
        return [
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

    def organisation_sections(self, request, org):
        from dpa.views.breaches_customer import breach_sections

        return breach_sections(request, org)

    def load_demo(self):
        from dpa.demo import load_demo

        load_demo()
