"""The API reference is a page of the portal: its header, a way back, how to authenticate, then Swagger UI."""

from django.urls import reverse


def test_the_api_reference_sits_in_the_portal_layout_with_a_way_back(client, db):
    response = client.get(reverse("api_docs"))
    assert response.status_code == 200
    html = response.content.decode()
    assert '<a class="skip-link" href="#main">' in html  # the portal's layout
    assert f'href="{reverse("home")}">← Back to the' in html
    assert "<h1>API reference</h1>" in html
    assert "Idempotency-Key" in html
    assert 'id="swagger-ui"' in html
    assert f'href="{reverse("schema")}"' in html
    # the init script is served by the same view (no inline script: the CSP allows only 'self')
    assert f'<script src="{reverse("api_docs")}?script="></script>' in html
    script = client.get(reverse("api_docs"), {"script": ""})
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "<script>" not in html.split("swagger-ui-standalone-preset.js")[1]


def test_a_signed_in_visitor_is_pointed_to_their_token_page(client, member):
    client.force_login(member)
    html = client.get(reverse("api_docs")).content.decode()
    assert f'href="{reverse("organisations:token")}"' in html


def test_schema_component_names_read_as_words(client, db):
    schema = client.get(reverse("schema"), HTTP_ACCEPT="application/json").json()
    names = list(schema["components"]["schemas"])
    assert [n for n in names if n.startswith("_") or n in {"BlankEnum", "NullEnum"}] == []
    assert schema["components"]["schemas"]["Empty"]["enum"] == [""]
    assert "BlankEnum" not in str(schema)


def test_operations_are_grouped_by_resource_with_staff_operations_apart(client, db):
    schema = client.get(reverse("schema"), HTTP_ACCEPT="application/json").json()
    tags = {op["tags"][0] for ops in schema["paths"].values() for op in ops.values()}
    assert "v1" not in tags
    assert {"subprocessors", "access-requests", "dpa"} <= tags
    assert all(
        tag.startswith("Staff: ")
        for path, ops in schema["paths"].items()
        if "/staff/" in path
        for op in ops.values()
        for tag in op["tags"]
    )
