"""SPEC §3 security for a service on a port, over a real uvicorn: trusted Host, Origin of state-changing
requests, security headers, bounded bodies and echoes, a hostile multipart boundary, a huge file name, and
/docs without a CDN."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import soundfile as sf

from helpers import LiveServer, run_server, sine

ALLOWED = "studio.example"
CORS = "http://tools.example:5173"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    env = {"ALLOWED_HOSTS": f"{ALLOWED}, other.example", "CORS_ORIGINS": CORS}
    with run_server(tmp_path_factory.mktemp("security") / "home", env=env) as live:
        yield live


@pytest.fixture
def client(server: LiveServer) -> Iterator[httpx.Client]:
    with server.client(timeout=60) as c:
        yield c


def small_wav() -> bytes:
    buf = io.BytesIO()
    sf.write(buf, sine(440.0, 0.5, sr=44100, amp=0.1), 44100, format="WAV", subtype="PCM_16")
    return buf.getvalue()


def own_origin(server: LiveServer) -> str:
    return server.url  # http://127.0.0.1:PORT: what a browser sends from the page the server serves


def test_a_foreign_host_is_refused_and_known_ones_answer(server: LiveServer, client: httpx.Client) -> None:
    port = server.url.rsplit(":", 1)[1]
    uploaded = client.post("/api/analyze", files={"file": ("a.wav", small_wav(), "audio/wav")})
    assert uploaded.status_code == 201
    analysis_id = uploaded.json()["id"]
    # DNS rebinding: a page at evil.example whose name now points here sends Host: evil.example
    for method, path in (("GET", "/health"), ("GET", "/"), ("DELETE", f"/api/analysis/{analysis_id}")):
        refused = client.request(method, path, headers={"Host": f"evil.example:{port}"})
        assert refused.status_code == 400, (method, path)
        assert "Host" in refused.json()["detail"]
    assert client.get(f"/api/analysis/{analysis_id}").status_code == 200  # the DELETE did nothing
    for host in (f"localhost:{port}", f"127.0.0.1:{port}", f"[::1]:{port}", ALLOWED, f"OTHER.example.:{port}"):
        assert client.get("/health", headers={"Host": host}).status_code == 200, host
    assert client.delete(f"/api/analysis/{analysis_id}").status_code == 204


def test_state_changing_requests_from_a_foreign_origin_are_refused(server: LiveServer, client: httpx.Client) -> None:
    files = {"file": ("a.wav", small_wav(), "audio/wav")}
    before = client.get("/api/analyses").json()["total"]
    # A cross-site form posts multipart without a CORS preflight: only the Origin check stops it.
    cross_site = client.post("/api/analyze", files=files, headers={"Origin": "http://evil.example"})
    assert cross_site.status_code == 403
    put = client.put("/api/settings", json={"default_stage": "mix"}, headers={"Origin": "null"})
    assert put.status_code == 403
    assert client.get("/api/analyses").json()["total"] == before
    assert client.get("/api/settings").json()["default_stage"] == "master"
    # the page's own origin, a CORS origin, and no Origin at all (CLI, curl) are served
    assert client.put("/api/settings", json={"default_stage": "mix"}, headers={"Origin": own_origin(server)}).is_success
    assert client.put("/api/settings", json={"default_stage": "master"}, headers={"Origin": CORS}).is_success
    assert client.put("/api/settings", json={"default_stage": "master"}).is_success
    # reading is not state-changing: a foreign Origin may GET (CORS keeps the browser from reading it)
    assert client.get("/health", headers={"Origin": "http://evil.example"}).status_code == 200


@pytest.mark.parametrize("path", ["/", "/health", "/api/genres", "/docs", "/api/analysis/not-a-uuid", "/nowhere"])
def test_every_response_carries_the_security_headers(client: httpx.Client, path: str) -> None:
    headers = client.get(path).headers
    assert headers["x-content-type-options"] == "nosniff"
    csp = dict(part.strip().split(" ", 1) for part in headers["content-security-policy"].split(";"))
    assert csp["script-src"] == "'self'" and csp["style-src"] == "'self'"
    assert csp["frame-ancestors"] == "'none'"


def test_json_bodies_are_capped_and_errors_echo_little(client: httpx.Client) -> None:
    huge = json.dumps({"default_genre": "x" * 5_000_000})
    over = client.put("/api/settings", content=huge, headers={"Content-Type": "application/json"})
    assert over.status_code == 413 and len(over.text) < 200

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
        yield b'{"default_genre": "'
        for _ in range(100):
            yield b"y" * 1024
        yield b'"}'

    streamed = client.put("/api/settings", content=chunks(), headers={"Content-Type": "application/json"})
    assert streamed.status_code == 413
    long_genre = client.put("/api/settings", json={"default_genre": "z" * 50_000})
    assert long_genre.status_code == 422
    assert "z" * 100 in long_genre.json()["detail"] and "z" * 101 not in long_genre.json()["detail"]
    long_key = client.put("/api/settings", json={"k" * 30_000: 1})
    assert long_key.status_code == 422 and "k" * 101 not in long_key.text
    long_level = client.post(
        "/api/analyze", files={"file": ("a.wav", small_wav(), "audio/wav")}, data={"recommendation_level": "q" * 9000}
    )
    assert long_level.status_code == 422 and "q" * 101 not in long_level.text


def test_a_boundary_longer_than_256_characters_is_a_clean_422(client: httpx.Client) -> None:
    boundary = "b" * 300
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\n\r\n'.encode()
        + small_wav()
        + f"\r\n--{boundary}--\r\n".encode()
    )
    response = client.post(
        "/api/analyze", content=body, headers={"Content-Type": f"multipart/form-data; boundary={boundary}"}
    )
    assert response.status_code == 422
    assert response.json()["detail"] == "The multipart boundary must be 1 to 256 characters long."


def test_a_file_name_over_10_kb_is_shortened_not_refused(client: httpx.Client) -> None:
    name = "long " * 4000 + ".wav"  # 20 kB
    response = client.post("/api/analyze", files={"file": (name, small_wav(), "audio/wav")})
    assert response.status_code == 201, response.text
    stored = response.json()["filename"]
    assert len(stored) == 200 and stored.endswith(".wav") and stored.startswith("long long")
    assert client.delete(f"/api/analysis/{response.json()['id']}").status_code == 204


def test_docs_work_offline(client: httpx.Client) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    assert "http://" not in page.text and "https://" not in page.text  # nothing from a CDN
    for src in ("/docs-assets/swagger-ui-bundle.js", "/docs-assets/swagger-ui.css", "/docs/docs.js"):
        assert src in page.text
        asset = client.get(src)
        assert asset.status_code == 200 and len(asset.content) > 100, src
    assert client.get("/openapi.json").json()["info"]["title"] == "Audio Mastering Tool"


def test_no_inline_script_or_style_in_the_page() -> None:
    """The CSP allows only files: the page and /docs carry no inline script, style or handler attribute."""
    web = Path(__file__).resolve().parents[1] / "amt" / "web"
    for html in (web / "index.html", web / "docs" / "index.html"):
        text = html.read_text()
        assert "<style" not in text and " style=" not in text and " on" + "click=" not in text, html
        for tag in text.split("<script")[1:]:
            assert tag.split(">", 1)[0].strip().startswith(("src=", 'type="module" src=')), html
