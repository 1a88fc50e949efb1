"""Held changes: a change whose enterprise customers did not all have a notice delivered 10 business days before its
date is held for legal staff to postpone or withdraw. Recipients record which organisations they stand for and
when a notice first reached them; webhook deliveries carry the postponement round.

Existing recipients get a link to the organisation they were recorded for and the delivery time of their
announcement, so changes announced before this migration are checked by the same rule."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def backfill(apps, schema_editor):
    ChangeRecipient = apps.get_model("subprocessors", "ChangeRecipient")
    RecipientOrganisation = apps.get_model("subprocessors", "RecipientOrganisation")
    recipients = ChangeRecipient.objects.filter(organisation__isnull=False).values_list(
        "id", "change_id", "organisation_id"
    )
    links = [RecipientOrganisation(recipient_id=r, change_id=c, organisation_id=o) for r, c, o in recipients.iterator()]
    RecipientOrganisation.objects.bulk_create(links, batch_size=2000, ignore_conflicts=True)
    delivered = ChangeRecipient.objects.filter(announce_email__sent_at__isnull=False).select_related("announce_email")
    for recipient in delivered.iterator(chunk_size=2000):
        recipient.notice_delivered_at = recipient.announce_email.sent_at
        recipient.save(update_fields=["notice_delivered_at"])


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0004_outbox_message_id"),
        ("subprocessors", "0004_scrub_webhook_errors"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="RecipientOrganisation",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
            ],
        ),
        migrations.RemoveConstraint(
            model_name="webhookdelivery",
            name="uniq_webhook_event_change",
        ),
        migrations.AddField(
            model_name="changerecipient",
            name="added_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="changerecipient",
            name="notice_delivered_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="changerecipient",
            name="postpone_email",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="portal.outboundemail",
            ),
        ),
        migrations.AddField(
            model_name="changerecipient",
            name="postpone_round",
            field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="subprocessorchange",
            name="held_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="subprocessorchange",
            name="notice_deadline_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="subprocessorchange",
            name="postpone_fanout_done_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="subprocessorchange",
            name="postponed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="subprocessorchange",
            name="postponement_reason",
            field=models.TextField(blank=True),
        ),
        migrations.AddField(
            model_name="subprocessorchange",
            name="postponements",
            field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="subprocessorchange",
            name="previous_effective_date",
            field=models.DateField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="webhookdelivery",
            name="notice_round",
            field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.AlterField(
            model_name="changerecipient",
            name="role",
            field=models.CharField(
                choices=[
                    ("customer", "Customer privacy contact"),
                    ("subscriber", "Public subscriber"),
                    ("both", "Customer privacy contact and subscriber"),
                    ("alternate", "Alternate contact chosen by legal staff"),
                ],
                max_length=10,
            ),
        ),
        migrations.AlterField(
            model_name="subprocessorchange",
            name="status",
            field=models.CharField(
                choices=[
                    ("draft", "Draft"),
                    ("announced", "Announced"),
                    ("held", "Held: notice incomplete"),
                    ("effective", "Effective"),
                    ("withdrawn", "Withdrawn"),
                ],
                db_index=True,
                default="draft",
                max_length=10,
            ),
        ),
        migrations.AddConstraint(
            model_name="subprocessorchange",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("status", "held"), _negated=True), ("held_at__isnull", False), _connector="OR"
                ),
                name="subprocessorchange_held_has_time",
            ),
        ),
        migrations.AddConstraint(
            model_name="webhookdelivery",
            constraint=models.UniqueConstraint(
                fields=("webhook", "event", "change", "notice_round"), name="uniq_webhook_event_change_round"
            ),
        ),
        migrations.AddField(
            model_name="recipientorganisation",
            name="change",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="recipient_organisations",
                to="subprocessors.subprocessorchange",
            ),
        ),
        migrations.AddField(
            model_name="recipientorganisation",
            name="organisation",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="+", to="portal.organisation"
            ),
        ),
        migrations.AddField(
            model_name="recipientorganisation",
            name="recipient",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="organisation_links",
                to="subprocessors.changerecipient",
            ),
        ),
        migrations.AddField(
            model_name="changerecipient",
            name="organisations",
            field=models.ManyToManyField(
                blank=True, related_name="+", through="subprocessors.RecipientOrganisation", to="portal.organisation"
            ),
        ),
        migrations.AddIndex(
            model_name="changerecipient",
            index=models.Index(fields=["change", "postpone_round"], name="subprocesso_change__8b946f_idx"),
        ),
        migrations.AddIndex(
            model_name="recipientorganisation",
            index=models.Index(fields=["change", "organisation"], name="subprocesso_change__f1fc1a_idx"),
        ),
        migrations.AddConstraint(
            model_name="recipientorganisation",
            constraint=models.UniqueConstraint(
                fields=("recipient", "organisation"), name="uniq_recipient_organisation"
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
