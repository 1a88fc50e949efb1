from django.urls import path

from portal.delivery import views

app_name = "delivery"

urlpatterns = [
    path("staff/outbox/", views.outbox_list, name="staff_outbox"),
    path("staff/outbox/<int:pk>/retry/", views.outbox_retry_view, name="staff_outbox_retry"),
    path("staff/chat-alerts/", views.chat_alert_list, name="staff_chat_alerts"),
    path("staff/chat-alerts/<int:pk>/retry/", views.chat_alert_retry_view, name="staff_chat_alert_retry"),
]
