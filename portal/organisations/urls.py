from django.urls import path

from portal.organisations import api_staff, api_staff_tokens, views_staff
from portal.organisations import views as organisations
from portal.organisations import views_tokens as tokens

app_name = "organisations"

urlpatterns = [
    path("staff/organisations/", views_staff.organisation_list, name="staff_list"),
    path("staff/organisations/<uuid:public_id>/", views_staff.organisation_edit, name="staff_edit"),
    path("org/", organisations.organisation_list, name="list"),
    path("org/new/", organisations.organisation_new, name="new"),
    path("org/<uuid:public_id>/", organisations.organisation_detail, name="detail"),
    path("org/<uuid:public_id>/contacts/", organisations.organisation_contacts, name="contacts"),
    path("org/<uuid:public_id>/invite/", organisations.organisation_invite, name="invite"),
    path(
        "org/<uuid:public_id>/members/<int:membership_id>/",
        organisations.organisation_member,
        name="member",
    ),
    path("invitations/<uuid:token>/", organisations.invitation_detail, name="invitation"),
    path("profile/api-token/", tokens.api_token, name="token"),
    path("profile/api-token/<uuid:public_id>/revoke/", tokens.api_token_revoke, name="token_revoke"),
    path("staff/tokens/", tokens.staff_tokens, name="staff_tokens"),
    path("staff/tokens/<uuid:public_id>/revoke/", tokens.staff_token_revoke, name="staff_token_revoke"),
    path("api/v1/staff/organisations/", api_staff.StaffOrganisationList.as_view(), name="api_staff_organisations"),
    path(
        "api/v1/staff/organisations/<uuid:public_id>/",
        api_staff.StaffOrganisationDetail.as_view(),
        name="api_staff_organisation",
    ),
    path("api/v1/staff/api-tokens/", api_staff_tokens.StaffApiTokenList.as_view(), name="api_staff_tokens"),
    path(
        "api/v1/staff/api-tokens/<uuid:public_id>/",
        api_staff_tokens.StaffApiTokenDetail.as_view(),
        name="api_staff_token",
    ),
    path(
        "api/v1/staff/api-tokens/<uuid:public_id>/revoke/",
        api_staff_tokens.StaffApiTokenRevoke.as_view(),
        name="api_staff_token_revoke",
    ),
]
