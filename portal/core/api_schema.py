"""The OpenAPI schema class (REST_FRAMEWORK's DEFAULT_SCHEMA_CLASS). Its own module: DRF imports the pagination in
portal.core.api while drf-spectacular imports DRF's generics, so the two cannot share one."""

from collections.abc import Mapping

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent, build_bearer_security_scheme_object
from rest_framework import permissions
from rest_framework.authentication import SessionAuthentication

ERROR_SCHEMA = {
    "type": "object",
    "properties": {"detail": {"type": "string", "description": "Why the request was not answered."}},
    "required": ["detail"],
}
VALIDATION_ERROR_SCHEMA = {
    "type": "object",
    "description": "Field name (or `detail`, or `non_field_errors`) mapped to its messages; some rule errors add "
    "context fields, e.g. an objection past its window adds `deadline`.",
    "additionalProperties": {},
    "minProperties": 1,
}
RETRY_AFTER = {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait before trying again."}}
_OPEN = (permissions.AllowAny,)
IDEMPOTENCY_PARAMETER = {
    "in": "header",
    "name": "Idempotency-Key",
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": r"^[\x21-\x7e]+$"},
    "description": "Any unique string (a UUID). A repeat with the same key and body gets the first answer again "
    "(header `Idempotent-Replayed: true`) and changes nothing; with another body, 409. Kept 24 hours.",
}


# drf-spectacular's generated names for "this field may also be empty / null", which read like internals.
COMPONENT_RENAMES = {
    "BlankEnum": ("Empty", "An empty string: the value is not set."),
    "NullEnum": ("NotSet", "null: the value is not set."),
}


def readable_component_names(result, generator, request, public):
    """POSTPROCESSING_HOOKS: rename components whose generated names mean nothing to a reader, and every `$ref`."""
    schemas = result.get("components", {}).get("schemas", {})
    refs = {}
    for old, (new, description) in COMPONENT_RENAMES.items():
        if old in schemas and new not in schemas:
            schemas[new] = {**schemas.pop(old), "description": description}
            refs[f"#/components/schemas/{old}"] = f"#/components/schemas/{new}"
    if refs:
        _replace_refs(result, refs)
    result.get("components", {})["schemas"] = dict(sorted(schemas.items()))
    return result


def _replace_refs(node, refs: dict) -> None:
    if isinstance(node, dict):
        if node.get("$ref") in refs:
            node["$ref"] = refs[node["$ref"]]
        for value in node.values():
            _replace_refs(value, refs)
    elif isinstance(node, list):
        for value in node:
            _replace_refs(value, refs)


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """`Authorization: Token <key>` (portal.organisations.authentication, django-rest-knox underneath)."""

    target_class = "portal.organisations.authentication.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return build_bearer_security_scheme_object(
            header_name="Authorization", token_prefix=self.target.authenticate_header(None)
        )


class PortalAutoSchema(AutoSchema):
    """drf-spectacular's AutoSchema, plus the error answers DRF and our exception handler give per operation:
    400 for a rejected body, filter or page parameter; 401 for missing or invalid credentials; 403 for a caller
    without the permission (or a session request without its CSRF token); 404 for an unknown path id or page; 415
    for a body in an undocumented media type; 413 for a body over its limit (portal.core.request_limits); 429 when
    throttled. Codes an operation documents itself (with @extend_schema) are kept as they are."""

    def get_tags(self) -> list[str]:
        """Group operations by resource (`/api/v1/<resource>/…`), staff operations apart (`Staff: <resource>`)."""
        parts = [part for part in self.path.split("/") if part and not part.startswith("{")]
        rest = parts[2:] if parts[:1] == ["api"] else parts
        if rest[:1] == ["staff"] and len(rest) > 1:
            return [f"Staff: {rest[1]}"]
        return rest[:1] or ["api"]

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        params = operation.get("parameters", [])
        for param in params:
            if param["in"] == "query" and not param.get("required"):
                # DRF reads an empty optional query value (`?country=`, as an HTML form sends it) as not given, and
                # so does our pagination: say so, or clients and the contract test expect a 400.
                param["allowEmptyValue"] = True
        unsafe = self.method not in permissions.SAFE_METHODS
        authenticators = self.view.get_authenticators()
        guarded = not all(isinstance(p, _OPEN) for p in self.view.get_permissions())
        errors: dict[str, tuple[str, Mapping[str, object]]] = {}
        paginated = bool(self._is_list_view() and self._get_paginator())
        if unsafe or paginated or any(p["in"] == "query" for p in params):
            errors["400"] = ("The request was not valid; each field names its problem.", VALIDATION_ERROR_SCHEMA)
        if authenticators:
            errors["401"] = ("Missing or invalid credentials (`Authorization: Token <key>`).", ERROR_SCHEMA)
        if guarded or (unsafe and any(isinstance(a, SessionAuthentication) for a in authenticators)):
            errors["403"] = ("The caller may not do this; `detail` says why.", ERROR_SCHEMA)
        if paginated or any(p["in"] == "path" for p in params):
            errors["404"] = ("No such object, or no such page.", ERROR_SCHEMA)
        if "requestBody" in operation:
            errors["415"] = ("The body's Content-Type is not one of those documented here.", ERROR_SCHEMA)
            errors["413"] = ("The body is larger than this operation accepts; `detail` gives the limit.", ERROR_SCHEMA)
        if self.method == "POST" and getattr(getattr(self.view, "post", None), "_idempotent", False):
            params.append(IDEMPOTENCY_PARAMETER)
            operation["parameters"] = params
            errors["409"] = (
                "This `Idempotency-Key` was already used with another path or body.",
                VALIDATION_ERROR_SCHEMA,
            )
        if self.view.get_throttles():
            errors["429"] = ("Too many requests from this client; retry after `Retry-After` seconds.", ERROR_SCHEMA)
        responses = operation["responses"]
        for code, (description, schema) in errors.items():
            if code in responses:
                continue
            responses[code] = {"content": {"application/json": {"schema": self._error_ref(schema)}}}
            responses[code]["description"] = description
            if code == "429":
                responses[code]["headers"] = RETRY_AFTER
        return operation

    def _error_ref(self, schema):
        name = "ValidationError" if schema is VALIDATION_ERROR_SCHEMA else "Error"
        component = ResolvedComponent(name=name, type=ResolvedComponent.SCHEMA, schema=schema, object=name)
        self.registry.register_on_missing(component)
        return component.ref
