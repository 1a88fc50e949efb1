from django.urls import path

from portal.staff import views

urlpatterns = [
    path("staff/", views.staff_home, name="staff_home"),
]
