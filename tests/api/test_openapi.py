"""The OpenAPI document is valid and describes every route of the API."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from openapi_spec_validator import validate

from academy.practice.kpi import KPIS

IGNORED_METHODS = {"HEAD", "OPTIONS"}


def test_the_document_is_valid_openapi_3_1(client: FlaskClient) -> None:
    response = client.get("/api/v1/openapi.json")  # no token: the description is public
    assert response.status_code == 200
    document = response.get_json()
    assert document["openapi"].startswith("3.1")
    validate(document)


def test_every_api_route_is_described(app: Flask, client: FlaskClient) -> None:
    """Would a new /api/v1 route without a description go unnoticed?"""
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/"):
            path = re.sub(r"<(?:[^<>]*:)?(\w+)>", r"{\1}", rule.rule)
            for method in (rule.methods or set()) - IGNORED_METHODS:
                routes.add((path, method.lower()))
                operation = paths.get(path, {}).get(method.lower())
                assert operation is not None, f"{method} {path} is not in openapi.json"
                assert operation["operationId"] == rule.endpoint.removeprefix("api.")
    described = {(path, method) for path, methods in paths.items() for method in methods}
    assert described == routes  # and nothing is described that does not exist


def test_errors_use_the_problem_schema_and_bearer_auth(client: FlaskClient) -> None:
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    post = document["paths"]["/api/v1/me/streams"]["post"]
    assert {"201", "401", "403", "415", "422", "429"} <= set(post["responses"])
    assert post["responses"]["422"]["content"]["application/problem+json"]["schema"] == {
        "$ref": "#/components/schemas/Problem"}
    assert post["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/StreamFields"}
    kpis = document["components"]["schemas"]["Kpis"]["properties"]
    assert {key: value["x-kpi-kind"] for key, value in kpis.items()} == {
        kpi.key: kpi.kind for kpi in KPIS}
