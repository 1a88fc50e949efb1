from django.urls import path

from subprocessors.objections import api, api_staff, views_staff
from subprocessors.objections import views as objections

app_name = "objections"

urlpatterns = [
    path("subprocessors/changes/<uuid:public_id>/object/", objections.change_object, name="new"),
    path("org/<uuid:public_id>/objections/", objections.objection_list, name="list"),
    path(
        "org/<uuid:public_id>/objections/<uuid:objection_id>/",
        objections.objection_detail,
        name="detail",
    ),
    path("staff/objections/<uuid:public_id>/", views_staff.staff_objection_detail, name="staff_detail"),
    path(
        "api/v1/subprocessor-changes/<uuid:public_id>/objections/",
        api.ObjectionCreate.as_view(),
        name="api_create",
    ),
    path("api/v1/staff/objections/", api_staff.StaffObjectionList.as_view(), name="api_staff_list"),
    path(
        "api/v1/staff/objections/<uuid:public_id>/",
        api_staff.StaffObjectionDetail.as_view(),
        name="api_staff_detail",
    ),
    path(
        "api/v1/staff/objections/<uuid:public_id>/reply/",
        api_staff.StaffObjectionReply.as_view(),
        name="api_staff_reply",
    ),
    path(
        "api/v1/staff/objections/<uuid:public_id>/transition/",
        api_staff.StaffObjectionTransition.as_view(),
        name="api_staff_transition",
    ),
]
