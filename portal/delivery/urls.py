from django.urls import path

from portal.delivery import api, views

app_name = "delivery"

urlpatterns = [
    path("staff/outbox/", views.outbox_list, name="staff_outbox"),
    path("staff/outbox/<int:pk>/retry/", views.outbox_retry_view, name="staff_outbox_retry"),
    path("staff/chat-alerts/", views.chat_alert_list, name="staff_chat_alerts"),
    path("staff/chat-alerts/<int:pk>/retry/", views.chat_alert_retry_view, name="staff_chat_alert_retry"),
    path("api/v1/staff/outbox/", api.OutboxList.as_view(), name="api_staff_outbox"),
    path("api/v1/staff/outbox/<int:pk>/", api.OutboxDetail.as_view(), name="api_staff_outbox_email"),
    path("api/v1/staff/outbox/<int:pk>/retry/", api.OutboxRetry.as_view(), name="api_staff_outbox_retry"),
    path("api/v1/staff/chat-alerts/", api.ChatAlertList.as_view(), name="api_staff_chat_alerts"),
    path("api/v1/staff/chat-alerts/<int:pk>/", api.ChatAlertDetail.as_view(), name="api_staff_chat_alert"),
    path("api/v1/staff/chat-alerts/<int:pk>/retry/", api.ChatAlertRetry.as_view(), name="api_staff_chat_alert_retry"),
]
