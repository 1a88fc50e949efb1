from django.apps import AppConfig


class SubprocessorsConfig(AppConfig):
    name = "subprocessors"
    verbose_name = "Sub-processors"
    nav_items = (("Sub-processors", "subprocessors_list"),)
    staff_nav_items = (("Sub-processors", "staff_subprocessors"),)

    def load_demo(self):
        from subprocessors.demo import load_demo

        load_demo()
