from django.urls import path

from subprocessors.webhooks import api_staff, views, views_staff

app_name = "webhooks"

urlpatterns = [
    path("org/<uuid:public_id>/webhooks/", views.webhook_list, name="list"),
    path("org/<uuid:public_id>/webhooks/<uuid:webhook_id>/remove/", views.webhook_remove, name="remove"),
    path("staff/webhook-deliveries/", views_staff.delivery_list, name="staff_deliveries"),
    path("staff/webhook-deliveries/<uuid:delivery_id>/retry/", views_staff.delivery_retry, name="staff_delivery_retry"),
    path("api/v1/staff/webhook-deliveries/", api_staff.DeliveryList.as_view(), name="api_staff_deliveries"),
    path(
        "api/v1/staff/webhook-deliveries/<uuid:delivery_id>/",
        api_staff.DeliveryDetail.as_view(),
        name="api_staff_delivery",
    ),
    path(
        "api/v1/staff/webhook-deliveries/<uuid:delivery_id>/retry/",
        api_staff.DeliveryRetry.as_view(),
        name="api_staff_delivery_retry",
    ),
]
