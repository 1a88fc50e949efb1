import uuid

from allauth.account.adapter import DefaultAccountAdapter

from portal.services.outbox import email_queue_raw


class AccountAdapter(DefaultAccountAdapter):
    """Route allauth's emails (verification, password reset, MFA notices) through the outbox."""

    def send_mail(self, template_prefix, email, context):
        msg = self.render_mail(template_prefix, email, context)
        html = ""
        for content, mimetype in getattr(msg, "alternatives", []):
            if mimetype == "text/html":
                html = content
        email_queue_raw(
            key=f"allauth:{template_prefix}:{uuid.uuid4()}",
            to=email,
            subject=msg.subject,
            text=msg.body,
            html=html,
        )
