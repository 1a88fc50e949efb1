from django.urls import path

from portal.organisations import views as organisations
from portal.organisations import views_staff
from portal.organisations import views_tokens as tokens

urlpatterns = [
    path("staff/organisations/", views_staff.organisation_list, name="staff_organisations"),
    path("staff/organisations/<uuid:public_id>/", views_staff.organisation_edit, name="staff_organisation_edit"),
    path("org/", organisations.organisation_list, name="organisation_list"),
    path("org/new/", organisations.organisation_new, name="organisation_new"),
    path("org/<uuid:public_id>/", organisations.organisation_detail, name="organisation_detail"),
    path("org/<uuid:public_id>/contacts/", organisations.organisation_contacts, name="organisation_contacts"),
    path("org/<uuid:public_id>/invite/", organisations.organisation_invite, name="organisation_invite"),
    path(
        "org/<uuid:public_id>/members/<int:membership_id>/",
        organisations.organisation_member,
        name="organisation_member",
    ),
    path("invitations/<uuid:token>/", organisations.invitation_detail, name="invitation_detail"),
    path("profile/api-token/", tokens.api_token, name="api_token"),
    path("profile/api-token/<uuid:public_id>/revoke/", tokens.api_token_revoke, name="api_token_revoke"),
    path("staff/tokens/", tokens.staff_tokens, name="staff_tokens"),
    path("staff/tokens/<uuid:public_id>/revoke/", tokens.staff_token_revoke, name="staff_token_revoke"),
]
