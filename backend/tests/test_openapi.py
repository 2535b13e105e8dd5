"""Schemathesis against the app's own OpenAPI schema, over real HTTP: no input the schema allows (or
breaks on purpose) makes any endpoint answer 5xx, and every error is ``{"detail": …}`` without a
trace or a server path."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.core.result import Ok

from helpers import BACKEND_DIR, DATABASE_KINDS, LiveServer, database_of_kind, run_server, sine, write_wav

EXAMPLES_PER_OPERATION = {"sqlite": 100, "postgresql": 25}
"""Per operation and generation mode (schema-valid, then schema-breaking): ≈ 2000 requests in all on SQLite; on
PostgreSQL a quarter of them, enough to reach every endpoint's queries and keep the run short."""


@pytest.fixture(scope="module", params=DATABASE_KINDS)
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server per database kind with the built-in references and one analysis, so that real ids reach the
    success paths too."""
    home = tmp_path_factory.mktemp(f"openapi-{request.param}") / "home"
    with database_of_kind(request, home / "audio_mastering.db") as url:
        env = {"MAX_UPLOAD_MB": "1", "MAX_DURATION_S": "30", "LOG_LEVEL": "WARNING", "DATABASE_URL": url}
        subprocess.run(
            [sys.executable, "-m", "scripts.populate_references"],
            cwd=BACKEND_DIR,
            env={**os.environ, "APP_HOME": str(home), **env},
            check=True,
            capture_output=True,
        )
        with run_server(home, env=env) as live:
            yield live


@pytest.fixture(scope="module")
def known_ids(server: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    wav = write_wav(tmp_path_factory.mktemp("openapi-wav") / "tone.wav", sine(440.0, 2.0, amp=0.3))
    with server.client() as client, wav.open("rb") as fh:
        analysis = client.post("/api/analyze", files={"file": ("tone.wav", fh, "audio/wav")}).json()
        reference = client.get("/api/references").json()[0]
    return {"analysis_id": analysis["id"], "reference_id": reference["id"]}


def check_response(response: object, server: LiveServer) -> None:
    """No 5xx; JSON bodies; errors as one readable ``detail`` without internals."""
    status = response.status_code  # type: ignore[attr-defined]
    text = response.text  # type: ignore[attr-defined]
    assert status < 500, f"{status}: {text[:500]}"
    if status == 204:
        return
    content_type = " ".join(response.headers.get("content-type", []))  # type: ignore[attr-defined]
    if status < 400 and not content_type.startswith("application/json"):
        return  # a report (HTML, CSV) or audio: not JSON by design
    body = response.json()  # type: ignore[attr-defined]
    if status >= 400:
        assert set(body) == {"detail"} and isinstance(body["detail"], str) and body["detail"], body
        assert "Traceback" not in text and str(server.app_home) not in text and str(BACKEND_DIR) not in text


INT64_MAX = 2**63 - 1


def fuzz(strategy: st.SearchStrategy[schemathesis.Case], server: LiveServer, examples: int) -> Counter[int]:
    """Send ``examples`` generated requests; the statuses seen."""
    seen: Counter[int] = Counter()

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case: schemathesis.Case) -> None:
        response = case.call(base_url=server.url, timeout=60)
        seen[response.status_code] += 1
        try:
            check_response(response, server)
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{case.as_curl_command()}") from None

    run()
    return seen


@pytest.mark.slow
def test_every_operation_survives_generated_requests(
    server: LiveServer, known_ids: dict[str, str], request: pytest.FixtureRequest
) -> None:
    examples = EXAMPLES_PER_OPERATION[request.node.callspec.params["server"]]
    schema = schemathesis.openapi.from_url(f"{server.url}/openapi.json")
    results = list(schema.get_all_operations())
    assert all(isinstance(r, Ok) for r in results), [r for r in results if not isinstance(r, Ok)]
    operations = [r.ok() for r in results if isinstance(r, Ok)]
    assert {op.label for op in operations} >= {
        "GET /health", "POST /api/analyze", "GET /api/analysis/{analysis_id}", "GET /api/analyses",
        "DELETE /api/analysis/{analysis_id}", "GET /api/analysis/{analysis_id}/series", "GET /api/references",
        "POST /api/similarity/{analysis_id}", "GET /api/genres", "GET /api/settings", "PUT /api/settings",
    }  # fmt: skip
    statuses: dict[str, Counter[int]] = {}
    for op in operations:
        seen: Counter[int] = Counter()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            strategies = [op.as_strategy(generation_mode=mode)]
            path_ids = {
                name: known_ids["analysis_id"] if name == "analysis_id" else known_ids["reference_id"]
                for name in ("analysis_id", "reference_id")
                if f"{{{name}}}" in op.path
            }
            if path_ids and op.method.upper() != "DELETE":  # real ids reach the success paths
                strategies.append(op.as_strategy(generation_mode=mode, path_parameters=path_ids))
            if op.path.startswith("/api/album"):
                album_ids = {"ids": f"{known_ids['analysis_id']},{known_ids['analysis_id']}"}
                strategies.append(op.as_strategy(generation_mode=mode, query=album_ids))
            if op.path == "/api/compare":
                strategies.append(
                    op.as_strategy(
                        generation_mode=mode, query={"a": known_ids["analysis_id"], "b": known_ids["reference_id"]}
                    )
                )

            try:
                seen.update(fuzz(st.one_of(strategies), server, examples))
            except Unsatisfiable:
                assert mode is GenerationMode.NEGATIVE  # an operation without parameters has nothing to break
        statuses[op.label] = seen
    print({label: dict(counts) for label, counts in statuses.items()})
    # The generated requests did reach the success paths, not only the refusals.
    successes = {label for label, counts in statuses.items() if any(200 <= s < 300 for s in counts)}
    assert {"GET /api/analysis/{analysis_id}", "POST /api/similarity/{analysis_id}", "GET /api/compare"} <= successes
    assert {"GET /api/album", "GET /api/album/report.html", "GET /api/analysis/{analysis_id}/report.csv"} <= successes
    assert list((server.app_home / "tmp").iterdir()) == []
    log = server.log_path.read_text(errors="replace")
    assert "Traceback" not in log and "Exception in ASGI application" not in log


def test_the_schema_documents_the_upload_forms(server: LiveServer) -> None:
    """/docs can drive both uploads: the multipart body with its file (any format read, for /api/master too) and
    each route's fields."""
    with server.client() as client:
        schema = client.get("/openapi.json").json()
    fields = {
        "/api/analyze": {"file", "genre", "recommendation_level", "stage", "codec_preview"},
        "/api/master": {"file", "genre", "stage", "only"},
    }
    for path, names in fields.items():
        form = schema["paths"][path]["post"]["requestBody"]["content"]["multipart/form-data"]["schema"]
        assert form["required"] == ["file"] and form["properties"]["file"]["format"] == "binary", path
        assert set(form["properties"]) == names, path
        assert all(f in form["properties"]["file"]["description"] for f in ("WAV", "FLAC", "MP3", "Opus", "ALAC"))


def test_a_history_offset_beyond_64_bits_is_refused_with_422(server: LiveServer) -> None:
    with server.client() as client:
        response = client.get("/api/analyses", params={"limit": 1, "offset": INT64_MAX + 1})
    assert response.status_code == 422 and "offset" in response.json()["detail"]


def _untyped(node: object, path: str, schemas: dict) -> list[str]:
    """Paths in a schema where a value may be any object (a dict without declared properties)."""
    found: list[str] = []
    if isinstance(node, dict):
        if "$ref" in node:
            return found
        if node.get("type") == "object" and "properties" not in node:
            found.append(path)
        if node.get("additionalProperties") is True:
            found.append(path + ".additionalProperties")
        for key, value in node.items():
            found += _untyped(value, f"{path}.{key}", schemas)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += _untyped(value, f"{path}[{i}]", schemas)
    return found


def test_recommendations_actions_and_the_plan_are_typed_in_openapi() -> None:
    from amt.api.main import create_app

    schemas = create_app().openapi()["components"]["schemas"]
    analysis = schemas["AnalysisOut"]["properties"]
    assert analysis["recommendations"]["items"] == {"$ref": "#/components/schemas/Recommendation"}
    assert analysis["plan"] == {"$ref": "#/components/schemas/Plan"}
    action = schemas["Recommendation"]["properties"]["action"]["anyOf"][0]
    assert action["discriminator"]["propertyName"] == "kind"
    assert set(action["discriminator"]["mapping"]) == {"gain", "eq", "stereo", "dynamics", "limiter"}
    steps = schemas["Plan"]["properties"]["steps"]["items"]
    assert set(steps["discriminator"]["mapping"]) == {"gain", "eq", "stereo", "dynamics", "limiter"}
    assert schemas["Recommendation"]["properties"]["severity"] == {"$ref": "#/components/schemas/Severity"}
    assert schemas["Severity"]["enum"] == ["critical", "warning", "info"]
    assert set(schemas["Where"]["enum"]) == {"low", "low_mid", "mid", "high_mid", "high", "overall"}
    assert schemas["EqStep"]["properties"]["filter"] == {"$ref": "#/components/schemas/FilterType"}
    names = ["Recommendation", "Plan", "Expected", "SectionSpan"] + [
        f"{k}{s}" for k in ("Gain", "Eq", "Stereo", "Dynamics", "Limiter") for s in ("Action", "Step")
    ]
    for name in names:
        assert _untyped(schemas[name], name, schemas) == [], name
