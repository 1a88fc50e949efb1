"""API authentication: django-rest-knox tokens with the portal's rules on top (scope, staff, password, MFA)."""

import re

from django.utils.translation import gettext as _
from knox.auth import TokenAuthentication
from rest_framework import exceptions
from rest_framework.permissions import SAFE_METHODS

from portal.core.clients import client_ip
from portal.core.permissions import is_legal, mark_mfa_verified
from portal.organisations.tokens import api_token_problem, api_token_revoke, api_token_touch

# DRF's old tokens were 40 hex characters stored in plain text; they were invalidated when tokens became hashed.
LEGACY_TOKEN = re.compile(r"[0-9a-f]{40}")
LEGACY_TOKEN_MESSAGE = (
    "This token is from before tokens were stored hashed and has been invalidated. "
    "Create a new token on your profile's API tokens page."
)
TOKEN_REVOKED_MESSAGE = "This token no longer works: {reason}. Create a new token on your profile's API tokens page."
READ_ONLY_MESSAGE = "This token is read only. Create a read-and-write token to change data."


class ApiTokenAuthentication(TokenAuthentication):
    """`Authorization: Token <key>`. Expired tokens fail (knox deletes them); so do tokens whose owner changed
    their password. A read-only token may only read. Only a staff token (minted after MFA) marks the request as
    MFA-verified, which staff operations require."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None:
            return None
        user, token = result
        if token.scope != token.Scope.WRITE and request.method not in SAFE_METHODS:
            raise exceptions.PermissionDenied(READ_ONLY_MESSAGE)
        api_token_touch(token=token, ip=client_ip(request))
        return user, token

    def authenticate_credentials(self, token):
        if LEGACY_TOKEN.fullmatch(token.decode("utf-8", errors="replace")):
            raise exceptions.AuthenticationFailed(_(LEGACY_TOKEN_MESSAGE))
        user, api_token = super().authenticate_credentials(token)
        problem = api_token_problem(api_token)
        if problem:
            api_token_revoke(token=api_token, actor=None, reason=problem)
            raise exceptions.AuthenticationFailed(TOKEN_REVOKED_MESSAGE.format(reason=problem))
        mark_mfa_verified(user, api_token.staff and is_legal(user))
        return user, api_token
