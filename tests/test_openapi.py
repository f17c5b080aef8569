"""The OpenAPI document of the JSON API (``views/api/openapi.json``).

It is a valid OpenAPI 3.1 document (checked by openapi-spec-validator), it is
served at ``/api/v1/openapi.json``, it documents every registered API route
and method and nothing else, its request schemas say what the colander
schemas say, and real answers of the API (successes and errors) match the
schemas it documents for them.
"""
import copy
import functools
import json

import colander
import pytest
from openapi_schema_validator import OAS31Validator, oas31_format_checker
from openapi_spec_validator import validate as validate_spec

from conftest import DOSSIER, FONDS, PASSWORD, RECORD, make_pdf, make_user

METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")


@pytest.fixture(scope="module")
def spec():
    """The served document: openapi.json with the fragments of openapi.d."""
    from archive.views.api.spec import load_spec
    return load_spec()


def resolve(spec, node):
    while isinstance(node, dict) and "$ref" in node:
        parts = node["$ref"].removeprefix("#/").split("/")
        node = functools.reduce(lambda d, key: d[key], parts, spec)
    return node


def schema_validator(spec, schema):
    """A validator of the OpenAPI 3.1 schema dialect for ``schema``, whose
    ``#/components/...`` references resolve inside the document."""
    root = dict(schema, components=spec["components"])
    return OAS31Validator(root, format_checker=oas31_format_checker)


def assert_valid(spec, schema, instance, what):
    errors = sorted(schema_validator(spec, schema).iter_errors(instance), key=str)
    assert not errors, f"{what}: " + "; ".join(
        f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}" for e in errors[:10])


def component(spec, name):
    return spec["components"]["schemas"][name]


def operations(spec):
    for path, item in spec["paths"].items():
        for method in METHODS:
            if method in item:
                yield path, method, item[method]


def check_answer(spec, method, path, response):
    """The status is documented for this operation and the body matches the
    documented schema of that status and content type."""
    operation = spec["paths"][path][method.lower()]
    status = str(response.status_int)
    assert status in operation["responses"], (
        f"{method} {path} answered {status}, which is not documented: {response.body[:300]!r}")
    documented = resolve(spec, operation["responses"][status])
    content = documented.get("content")
    if not content:
        assert not response.body, f"{method} {path} {status} has an undocumented body"
        return
    assert response.content_type in content, (method, path, status, response.content_type)
    if response.content_type == "application/json":
        assert_valid(spec, content["application/json"]["schema"], response.json,
                     f"{method} {path} {status}")


def request_schema(spec, method, path, media_type="application/json"):
    operation = spec["paths"][path][method]
    return resolve(spec, operation["requestBody"])["content"][media_type]["schema"]


# --------------------------------------------------------------------------- the document

def test_document_is_valid_openapi(spec):
    assert spec["openapi"].startswith("3.1")
    validate_spec(spec)


def test_validator_does_catch_a_broken_document(spec):
    """The check above is a real one: a document with a dangling reference
    or a response without a description is refused."""
    broken = copy.deepcopy(spec)
    broken["paths"]["/api/v1/fonds"]["get"]["responses"]["200"]["content"]["application/json"][
        "schema"] = {"$ref": "#/components/schemas/Nothing"}
    with pytest.raises(Exception):
        validate_spec(broken)
    broken = copy.deepcopy(spec)
    del broken["paths"]["/api/v1/fonds"]["get"]["responses"]["200"]["description"]
    with pytest.raises(Exception):
        validate_spec(broken)


def test_document_is_served_to_anyone(testapp, spec):
    response = testapp.get("/api/v1/openapi.json")
    assert response.content_type == "application/json"
    assert response.json == spec
    check_answer(spec, "GET", "/api/v1/openapi.json", response)


def api_routes(registry):
    """{(pattern, method): permission} of every view on an API route."""
    introspector = registry.introspector
    patterns = {entry["introspectable"]["name"]: entry["introspectable"]["pattern"]
                for entry in introspector.get_category("routes")}
    routes = {}
    for entry in introspector.get_category("views"):
        intr = entry["introspectable"]
        route = intr["route_name"]
        if not route or not route.startswith("api."):
            continue
        methods = intr["request_methods"]
        methods = [methods] if isinstance(methods, str) else list(methods or ["*"])
        permission = next((r["value"] for r in introspector.related(intr)
                           if r.category_name == "permissions"), None)
        for method in methods:
            routes[(patterns[route], method.lower())] = permission
    return routes


def test_every_api_route_is_documented_and_nothing_else(app, spec):
    registered = set(api_routes(app.registry))
    assert ("*" not in {m for _p, m in registered}), "an API view answers every method"
    documented = {(path, method) for path, method, _op in operations(spec)}
    assert registered - documented == set(), "registered but not documented"
    assert documented - registered == set(), "documented but not registered"


def test_path_parameters_are_declared(spec):
    import re

    for path, method, operation in operations(spec):
        names = set(re.findall(r"\{([^}]+)\}", path))
        declared = {p["name"] for p in operation.get("parameters", ()) if p["in"] == "path"}
        declared |= {p["name"] for p in spec["paths"][path].get("parameters", ()) if p["in"] == "path"}
        assert names == declared, (method, path)


def test_security_and_errors_follow_the_permissions(app, spec):
    """Public operations need no credentials; every other one says so and
    documents 401; those a role may be refused document 403; every error
    answer has the error schema."""
    for (path, method), permission in api_routes(app.registry).items():
        operation = spec["paths"][path][method]
        responses = operation["responses"]
        if permission == "public":
            assert operation.get("security") == [], (method, path)
            continue
        assert "security" not in operation, (method, path)  # the document's default: bearer
        assert "401" in responses, (method, path)
        if permission not in ("home",):
            assert "403" in responses, (method, path)
        if "{" in path:
            assert "404" in responses, (method, path)
        if "requestBody" in operation:
            assert "422" in responses, (method, path)
    for path, method, operation in operations(spec):
        for status, answer in operation["responses"].items():
            answer = resolve(spec, answer)
            assert answer.get("description"), (method, path, status)
            if int(status) >= 400 and "content" in answer:
                assert answer["content"]["application/json"]["schema"] == {
                    "$ref": "#/components/schemas/Error"}, (method, path, status)
    assert spec["components"]["securitySchemes"]["bearer"] == {
        **spec["components"]["securitySchemes"]["bearer"], "type": "http", "scheme": "bearer"}


# --------------------------------------------------------------------------- in step with the schemas

def _max_length(node):
    validators = [node.validator]
    found = None
    while validators:
        validator = validators.pop()
        if isinstance(validator, colander.All):
            validators.extend(validator.validators)
        elif isinstance(validator, colander.Length):
            found = validator.max
    return found


def _enum(node):
    validators = [node.validator]
    while validators:
        validator = validators.pop()
        if isinstance(validator, colander.All):
            validators.extend(validator.validators)
        elif isinstance(validator, colander.OneOf):
            return list(validator.choices)
        elif isinstance(validator, colander.ContainsOnly):
            return list(validator.choices)
    return None


def _schemas():
    from archive import schemas

    return {"FondsInput": schemas.FondsSchema(), "DossierInput": schemas.DossierSchema(),
            "RecordInput": schemas.RecordSchema().bind(), "UserInput": schemas.UserSchema().bind(),
            "UserChange": schemas.UserEditSchema().bind(),
            "TokenRequest": schemas.TokenRequestSchema()}


@pytest.mark.parametrize("name", sorted(_schemas()))
def test_request_schemas_say_what_colander_says(spec, name):
    node = _schemas()[name]
    documented = component(spec, name)
    fields = {child.name: child for child in node.children}
    assert set(documented["properties"]) == set(fields), name
    assert documented["additionalProperties"] is False  # unknown fields are refused (422)
    # PUT /api/v1/users/{login} changes only the fields sent: none is required there
    required = [] if name == "UserChange" else [n for n, child in fields.items() if child.required]
    assert sorted(documented.get("required", [])) == sorted(required), name
    for field, child in fields.items():
        prop = documented["properties"][field]
        assert prop.get("description"), (name, field)
        if _max_length(child) is not None:
            assert prop.get("maxLength") == _max_length(child), (name, field)
        choices = _enum(child)
        if choices is not None:
            values = prop["items"]["enum"] if prop.get("type") == "array" else prop["enum"]
            assert sorted(values) == sorted(choices), (name, field)


def test_dossier_and_record_fields_are_the_domain_fields(spec):
    from archive.resources import DOSSIER_FIELDS, ONESTOP_FIELDS, RECORD_FIELDS

    dossier = component(spec, "Dossier")["properties"]
    assert set(DOSSIER_FIELDS) | set(ONESTOP_FIELDS) <= set(dossier)
    record = component(spec, "Record")["properties"]
    assert set(RECORD_FIELDS) <= set(record)
    for name in ("Dossier", "Record", "File", "DossierInput", "RecordInput"):
        for field, prop in component(spec, name)["properties"].items():
            assert prop.get("description") or "$ref" in prop.get("items", {}), (name, field)


def test_documented_examples_are_accepted(admin_api, spec):
    fonds = component(spec, "FondsInput")["examples"][0]
    assert_valid(spec, component(spec, "FondsInput"), fonds, "FondsInput example")
    admin_api.post("/api/v1/fonds", fonds, status=201)
    dossier = component(spec, "DossierInput")["examples"][0]
    assert_valid(spec, component(spec, "DossierInput"), dossier, "DossierInput example")
    dossier_id = admin_api.post(f"/api/v1/fonds/{fonds['code']}/dossiers", dossier).json["id"]
    record = component(spec, "RecordInput")["examples"][0]
    assert_valid(spec, component(spec, "RecordInput"), record, "RecordInput example")
    admin_api.file_record(dossier_id, record, [("a.pdf", make_pdf(1))])
    user = component(spec, "UserInput")["examples"][0]
    assert_valid(spec, component(spec, "UserInput"), user, "UserInput example")
    admin_api.post("/api/v1/users", user, status=201)


# --------------------------------------------------------------------------- real answers

def test_real_answers_match_the_documented_schemas(admin_api, spec):
    api = admin_api
    client = api.app

    def call(method, path, url, status, body=None, headers=None, **kw):
        headers = api.headers if headers is None else headers
        if body is not None:
            assert_valid(spec, request_schema(spec, method.lower(), path), body,
                         f"request of {method} {path}")
            response = client.request(url, method=method, headers=headers,
                                      body=json.dumps(body).encode(),
                                      content_type="application/json", expect_errors=True)
        else:
            response = client.request(url, method=method, headers=headers, expect_errors=True, **kw)
        assert response.status_int == status, (method, url, response.body[:300])
        check_answer(spec, method, path, response)
        return response

    # successes
    call("POST", "/api/v1/fonds", "/api/v1/fonds", 201, FONDS)
    call("GET", "/api/v1/fonds", "/api/v1/fonds", 200)
    dossier = dict(DOSSIER, retention="permanent", language=["vi", "fr"], start_date="2024",
                   end_date="2024-06", procedure_code="1.001193", channel="online",
                   received_date="2024-01-05", provenance="02", paper_file_code="LTCQ.K1/G01/H001.01")
    dossier_id = call("POST", "/api/v1/fonds/{code}/dossiers", "/api/v1/fonds/SNV/dossiers", 201,
                      dossier).json["id"]
    pdf = make_pdf(2)
    metadata = dict(RECORD, secrecy="none", urgency="khan", signer="Giám đốc Nguyễn Văn A")
    assert_valid(spec, component(spec, "RecordInput"), metadata, "record metadata")
    response = client.post(f"/api/v1/dossiers/{dossier_id}/records",
                           params={"metadata": json.dumps(metadata)},
                           upload_files=[("file", "quyết định 504.pdf", pdf)], headers=api.headers)
    assert response.status_int == 201
    check_answer(spec, "POST", "/api/v1/dossiers/{id}/records", response)
    record = response.json
    # a document with metadata only (no file part) is allowed too
    response = client.post(f"/api/v1/dossiers/{dossier_id}/records",
                           params={"metadata": json.dumps(dict(RECORD, secrecy="mat"))},
                           headers=api.headers)
    check_answer(spec, "POST", "/api/v1/dossiers/{id}/records", response)
    body = call("GET", "/api/v1/dossiers/{id}", f"/api/v1/dossiers/{dossier_id}", 200).json
    assert body["retention"] == "permanent" and len(body["records"]) == 2
    call("GET", "/api/v1/records/{id}", f"/api/v1/records/{record['id']}", 200)
    file_id = record["files"][0]["id"]
    response = call("GET", "/api/v1/files/{id}", f"/api/v1/files/{file_id}", 200)
    assert response.body == pdf
    response = call("GET", "/api/v1/files/{id}", f"/api/v1/files/{file_id}", 206,
                    headers=dict(api.headers, Range="bytes=0-99"))
    assert response.body == pdf[:100]
    call("GET", "/api/v1/files/{id}", f"/api/v1/files/{file_id}", 416,
         headers=dict(api.headers, Range=f"bytes={len(pdf) + 10}-"))
    call("GET", "/api/v1/files/{id}", f"/api/v1/files/{file_id}", 304,
         headers=dict(api.headers, **{"If-None-Match": f'"{record["files"][0]["sha256"]}"'}))
    call("GET", "/api/v1/users", "/api/v1/users", 200)
    call("POST", "/api/v1/users", "/api/v1/users", 201,
         {"login": "lan", "password": PASSWORD, "role": "official", "fonds": ["SNV"]})
    call("PUT", "/api/v1/users/{login}", "/api/v1/users/lan", 200,
         {"role": "archivist", "name": "Nguyễn Thị Lan"})
    token = call("POST", "/api/v1/tokens", "/api/v1/tokens", 201,
                 {"login": "lan", "password": PASSWORD, "label": "hệ thống một cửa"},
                 headers={}).json["token"]
    call("DELETE", "/api/v1/tokens/{token}", f"/api/v1/tokens/{token}", 204)
    call("POST", "/api/v1/dossiers/{id}/close", f"/api/v1/dossiers/{dossier_id}/close", 200)

    # errors
    response = client.post("/api/v1/fonds/SNV/dossiers", b"{oops", headers=dict(
        api.headers, **{"Content-Type": "application/json"}), expect_errors=True)
    assert response.status_int == 400
    check_answer(spec, "POST", "/api/v1/fonds/{code}/dossiers", response)
    call("GET", "/api/v1/fonds", "/api/v1/fonds", 401, headers={})
    call("POST", "/api/v1/tokens", "/api/v1/tokens", 401, {"login": "lan", "password": "sai-roi-nhe"},
         headers={})
    official = make_user(api, "canbo", "official", ["SNV"])
    call("GET", "/api/v1/users", "/api/v1/users", 403, headers=official.headers)
    call("POST", "/api/v1/dossiers/{id}/close", f"/api/v1/dossiers/{dossier_id}/close", 403)
    call("GET", "/api/v1/dossiers/{id}", "/api/v1/dossiers/nope", 404)
    call("DELETE", "/api/v1/tokens/{token}", "/api/v1/tokens/nope", 404)
    call("POST", "/api/v1/fonds", "/api/v1/fonds", 409, FONDS)
    call("POST", "/api/v1/fonds/{code}/dossiers", "/api/v1/fonds/SNV/dossiers", 409,
         dict(dossier, organ_id="000.00.17.H17"))
    response = client.post("/api/v1/fonds/SNV/dossiers", json.dumps(
        dict(DOSSIER, notation="09.X", organ_id="17.H17")).encode(),
        headers=dict(api.headers, **{"Content-Type": "application/json"}), expect_errors=True)
    assert response.status_int == 422
    check_answer(spec, "POST", "/api/v1/fonds/{code}/dossiers", response)
    open_id = api.post("/api/v1/fonds/SNV/dossiers", dict(DOSSIER, notation="10.X")).json["id"]
    response = client.post(f"/api/v1/dossiers/{open_id}/records",
                           params={"metadata": json.dumps(RECORD)},
                           upload_files=[("file", "setup.pdf", b"MZ\x90\x00" + b"\0" * 600)],
                           headers=api.headers, expect_errors=True)
    assert response.status_int == 415
    check_answer(spec, "POST", "/api/v1/dossiers/{id}/records", response)
    response = client.post(f"/api/v1/dossiers/{open_id}/records",
                           params={"metadata": json.dumps(dict(RECORD, doc_type="99"))},
                           headers=api.headers, expect_errors=True)
    assert response.status_int == 422
    check_answer(spec, "POST", "/api/v1/dossiers/{id}/records", response)


def test_file_content_types_are_documented(spec):
    from archive.services.files import ALLOWED

    content = spec["paths"]["/api/v1/files/{id}"]["get"]["responses"]["200"]["content"]
    assert set(content) == set(ALLOWED)
    assert set(component(spec, "File")["properties"]["media_type"]["enum"]) == set(ALLOWED)


def test_real_search_answers_match_the_documented_schema(app, admin_api, spec):
    """GET /api/v1/search: hits of both types with snippets and every facet,
    an empty result, a filter, 401, and 503 while the index is rebuilt."""
    from urllib.parse import urlencode

    api, client = admin_api, admin_api.app
    path = "/api/v1/search"

    def call(status, headers=None, **params):
        response = client.get(f"{path}?{urlencode(params)}", expect_errors=True,
                              headers=api.headers if headers is None else headers)
        assert response.status_int == status, response.body[:300]
        check_answer(spec, "GET", path, response)
        return response.json

    api.post("/api/v1/fonds", FONDS)
    dossier = dict(DOSSIER, procedure_code="1.001193", district="Gia Nghĩa",
                   applicant_name="Nguyễn Văn Hùng")
    dossier_id = api.post("/api/v1/fonds/SNV/dossiers", dossier).json["id"]
    api.file_record(dossier_id, RECORD, [("a.pdf", make_pdf(1))])
    assert app.registry.search.wait_idle(30)

    body = call(200, q="tuyen dung")
    assert body["total"] == 2 and {h["type"] for h in body["hits"]} == {"dossier", "record"}
    assert all(body["facets"][name] for name in ("fonds", "year", "doc_type", "procedure",
                                                 "retention", "access", "district"))
    operation = spec["paths"][path]["get"]
    documented = {p["name"] for p in operation["parameters"]}
    from archive.search import FACETS
    assert documented == {"q", "exact", "sort", "page", "size", *FACETS}
    call(200, q="tuyển dụng", exact="1", sort="date", page=1, size=1, fonds="SNV", year="2024",
         doc_type="02", procedure="1.001193", retention="10", access="01", district="Gia Nghĩa")
    assert call(200, q="không có gì như thế này")["total"] == 0
    assert call(200)["total"] == 2
    call(401, headers={})
    official = make_user(api, "canbo", "official", [])
    assert call(200, headers=official.headers, q="tuyen dung")["total"] == 0
    # the index is being rebuilt: 503 with the error body, never a 500
    search = app.registry.search
    search.rebuilding = True
    try:
        error = call(503, q="tuyen dung")["error"]
        assert "xây dựng lại" in error["message"]
    finally:
        search.rebuilding = False
    # the example of the document is a valid answer
    assert_valid(spec, component(spec, "SearchResults"),
                 component(spec, "SearchResults")["examples"][0], "SearchResults example")
