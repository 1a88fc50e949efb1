from django.urls import path

from subprocessors.views import public, subscriptions

urlpatterns = [
    path("subprocessors/", public.subprocessor_list, name="subprocessors_list"),
    path("subprocessors/history/", public.subprocessor_history, name="subprocessors_history"),
    path("subprocessors/subscribe/", subscriptions.subscribe, name="subprocessors_subscribe"),
    path("subprocessors/subscribe/sent/", subscriptions.subscribe_sent, name="subprocessors_subscribe_sent"),
    path(
        "subprocessors/subscribe/confirm/<str:token>/",
        subscriptions.subscribe_confirm,
        name="subprocessors_subscribe_confirm",
    ),
    path("subprocessors/unsubscribe/<str:token>/", subscriptions.unsubscribe, name="subprocessors_unsubscribe"),
]
