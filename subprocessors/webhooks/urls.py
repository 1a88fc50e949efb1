from django.urls import path

from subprocessors.webhooks import views, views_staff

app_name = "webhooks"

urlpatterns = [
    path("org/<uuid:public_id>/webhooks/", views.webhook_list, name="list"),
    path("org/<uuid:public_id>/webhooks/<uuid:webhook_id>/remove/", views.webhook_remove, name="remove"),
    path("staff/webhook-deliveries/", views_staff.delivery_list, name="staff_deliveries"),
    path("staff/webhook-deliveries/<uuid:delivery_id>/retry/", views_staff.delivery_retry, name="staff_delivery_retry"),
]
