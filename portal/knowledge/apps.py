from django.apps import AppConfig


class KnowledgeConfig(AppConfig):
    """The security FAQ: question-and-answer entries by topic, public or behind NDA-level access."""

    name = "portal.knowledge"
    label = "knowledge"
    verbose_name = "Security FAQ"
    nav_items = ((35, "Security FAQ", "knowledge:list"),)
    staff_nav_items = ((34, "Security FAQ", "knowledge:staff_list"),)

    def load_demo(self):
        from portal.knowledge.demo import load_faq_demo

        load_faq_demo()
