from django.apps import apps
from django.shortcuts import render
from django.utils import timezone

from portal.core.permissions import legal_required


@legal_required()
def staff_home(request):
    """What needs a decision: each app adds panels (AppConfig.staff_panels), most urgent first."""
    panels = []
    for config in apps.get_app_configs():
        hook = getattr(config, "staff_panels", None)
        if hook:
            panels.extend(hook(request))
    panels.sort(key=lambda panel: panel["order"])
    return render(
        request,
        "staff/home.html",
        {"panels": panels, "attention": sum(1 for p in panels if p["count"]), "now": timezone.now()},
    )
