from django.apps import AppConfig


class ObjectionsConfig(AppConfig):
    """Objections to a sub-processor change: the thread, its states, the termination right."""

    name = "subprocessors.objections"
    label = "objections"
    verbose_name = "Objections"

    def staff_panels(self, request):
        from django.utils import timezone

        from subprocessors.objections.staff_panels import changes_panel

        return [changes_panel(timezone.now())]

    def organisation_sections(self, request, membership):
        from subprocessors.objections.organisation import organisation_sections

        return organisation_sections(request, membership)

    def change_detail_sections(self, change):
        from subprocessors.objections.views_staff import change_objections_section

        return [change_objections_section(change)]

    def load_demo(self):
        from subprocessors.objections.demo import load_demo

        load_demo()
