from django.urls import path

from subprocessors.views import subscriptions

urlpatterns = [
    path(
        "subprocessors/subscribe/confirm/<str:token>/",
        subscriptions.subscribe_confirm,
        name="subprocessors_subscribe_confirm",
    ),
    path("subprocessors/unsubscribe/<str:token>/", subscriptions.unsubscribe, name="subprocessors_unsubscribe"),
]
