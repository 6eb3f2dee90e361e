"""The container image and compose file: the built image runs `doctor` and `run` as a non-root user.

Image tests need a running dockerd and the image `commit-radar:ci` (or COMMIT_RADAR_IMAGE); they skip
with the reason otherwise. `.ci/container` builds the image, sets COMMIT_RADAR_CONTAINER_REQUIRED=1
(so a missing piece fails instead of skipping) and runs this file. Every container runs with
`--network host` and is reached on 127.0.0.1 only (dockerd runs without a bridge).
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from tests.e2e_stack import free_port, wait_until
from tests.fake_github import fake_github, fake_github_server, file_entry  # noqa: F401
from tests.fake_openai import VALID_CONTENT, _threaded_server, fake_openai, threaded_httpserver, valid  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent
IMAGE = os.environ.get("COMMIT_RADAR_IMAGE", "commit-radar:ci")
REQUIRED = os.environ.get("COMMIT_RADAR_CONTAINER_REQUIRED") == "1"


def docker(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    """Run the docker CLI and capture its output."""
    return subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout)


def image_unavailable() -> str | None:
    """Why the image tests cannot run here, or None when they can."""
    if shutil.which("docker") is None:
        return "docker CLI not installed (.ci/container installs docker.io)"
    try:
        if docker("info", "--format", "{{.ServerVersion}}", timeout=20).returncode != 0:
            return "dockerd is not running (`docker info` failed); .ci/container starts it"
        if docker("image", "inspect", IMAGE, timeout=20).returncode != 0:
            return f"image {IMAGE} is not built; run .ci/container (or set COMMIT_RADAR_IMAGE)"
    except subprocess.TimeoutExpired:
        return "dockerd did not answer within 20 s"
    return None


def compose_cli() -> list[str] | None:
    """The compose command available here: the v2 plugin, else the standalone docker-compose."""
    try:
        if shutil.which("docker") and subprocess.run(["docker", "compose", "version"], capture_output=True,
                                                     timeout=20).returncode == 0:
            return ["docker", "compose"]
    except subprocess.TimeoutExpired:
        pass
    return ["docker-compose"] if shutil.which("docker-compose") else None


def _requirement(reason: str | None):
    """Skip with `reason`; under .ci/container (COMMIT_RADAR_CONTAINER_REQUIRED=1) fail with it instead."""
    if reason and REQUIRED:
        def failing(test):
            @functools.wraps(test)
            def fail(*args, **kwargs):
                pytest.fail(f"COMMIT_RADAR_CONTAINER_REQUIRED=1, but {reason}")
            return fail
        return failing
    return pytest.mark.skipif(reason is not None, reason=reason or "")


needs_image = _requirement(image_unavailable())
COMPOSE = compose_cli()
needs_compose = _requirement(None if COMPOSE else "no `docker compose` plugin or docker-compose installed")


@pytest.fixture
def github():
    """A minimal GitHub API on 127.0.0.1: /rate_limit is all that doctor and an idle `run` ask for."""
    server = HTTPServer(host="127.0.0.1", port=0)
    server.expect_request("/rate_limit").respond_with_json(
        {"resources": {"core": {"limit": 5000, "remaining": 4999, "reset": 1_900_000_000, "used": 1}},
         "rate": {"limit": 5000, "remaining": 4999, "reset": 1_900_000_000, "used": 1}})
    server.start()
    yield server
    server.stop()


@pytest.fixture
def container_name():
    """A unique container name, removed (with its anonymous volume) whatever the test did."""
    name = f"commit-radar-test-{uuid.uuid4().hex[:10]}"
    yield name
    docker("rm", "--force", "--volumes", name)


def healthz(port: int) -> int | None:
    """The status of GET /healthz, or None while nothing answers."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return None


@needs_image
def test_doctor_in_the_image_prints_the_config_and_reaches_the_database_in_the_volume(github):
    result = docker("run", "--rm", "--network", "host", "-e", f"GITHUB_API_URL={github.url_for('').rstrip('/')}",
                    IMAGE, "commit-radar", "doctor", timeout=120)
    output = result.stdout + result.stderr
    assert "Traceback" not in output, output
    # The image's defaults: SQLite in the /data volume, listening on every interface.
    assert "DATABASE_URL=sqlite:////data/commit-radar.db" in result.stdout, output
    assert "HOST=0.0.0.0" in result.stdout and "PORT=3000" in result.stdout, output
    # The non-root user can create and migrate the database in /data.
    assert re.search(r"^ok\s+database\b", result.stdout, re.MULTILINE), output
    assert re.search(r"^ok\s+github\b", result.stdout, re.MULTILINE), output
    assert result.returncode == 0, output


@needs_image
def test_analyze_in_the_image_uses_the_llm_with_the_prompts_shipped_in_the_package(fake_github, fake_openai):
    fake_openai.script(valid())
    sha = fake_github.add_repo("octo/widgets").commit("fix: prevent services adding/removal",
                                                      files=[file_entry("deploy/operator/webhook.go")])
    result = docker("run", "--rm", "--network", "host", "-e", f"GITHUB_API_URL={fake_github.api_url}",
                    "-e", f"OPENAI_BASE_URL={fake_openai.base_url}", "-e", "OPENAI_API_KEY=sk-container-test",
                    "-e", "LLM_MODEL=fake-model", IMAGE, "commit-radar", "analyze", f"octo/widgets@{sha[:12]}",
                    "--lang", "en", timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    # The LLM's answer, not the heuristic: the prompts were found inside the installed package.
    assert VALID_CONTENT["summary"] in result.stdout, result.stdout + result.stderr
    assert len(fake_openai.requests) >= 1


@needs_image
def test_run_in_the_image_is_healthy_on_port_runs_as_non_root_and_stops_cleanly(github, container_name):
    port = free_port()
    # Short health-check intervals exercise the image's own HEALTHCHECK command (on PORT) quickly.
    started = docker("run", "--detach", "--name", container_name, "--network", "host",
                     "-e", f"PORT={port}", "-e", "HOST=127.0.0.1",
                     "-e", f"GITHUB_API_URL={github.url_for('').rstrip('/')}",
                     "--health-interval", "1s", "--health-retries", "30", IMAGE)
    assert started.returncode == 0, started.stderr

    def logs() -> str:
        result = docker("logs", container_name)
        return result.stdout + result.stderr

    def running() -> bool:
        state = docker("inspect", "--format", "{{.State.Running}}", container_name).stdout.strip()
        assert state == "true", f"container exited early:\n{logs()}"
        return True

    wait_until(lambda: running() and healthz(port) == 200, 60, f"/healthz 200 on port {port}")
    wait_until(lambda: docker("inspect", "--format", "{{.State.Health.Status}}", container_name).stdout.strip()
               == "healthy", 60, "the image's HEALTHCHECK to report healthy")

    uid = docker("exec", container_name, "id", "-u")
    assert uid.returncode == 0 and uid.stdout.strip() not in ("", "0"), uid
    listing = docker("exec", container_name, "ls", "/data").stdout.split()
    assert "commit-radar.db" in listing, listing

    began = time.monotonic()
    stopped = docker("stop", "--time", "20", container_name, timeout=60)
    elapsed = time.monotonic() - began
    assert stopped.returncode == 0, stopped.stderr
    # SIGTERM (not the SIGKILL after --time) ended it: quickly, and with exit code 0.
    assert elapsed < 15, f"docker stop took {elapsed:.1f} s\n{logs()}"
    exit_code = docker("inspect", "--format", "{{.State.ExitCode}}", container_name).stdout.strip()
    assert exit_code == "0", logs()
    assert "Traceback" not in logs()


def service_blocks(text: str) -> dict[str, str]:
    """Each service's lines in a block-style compose document (two-space indentation under services)."""
    services = ("\n" + text)[("\n" + text).index("\nservices:\n") + 1:]
    services = re.split(r"\n(?=\S)", services, maxsplit=1)[0]
    found = re.findall(r"^  ([\w-]+):\n((?:    .*\n|\s*\n)*)", services + "\n", re.MULTILINE)
    return {name: body for name, body in found}


def test_compose_runs_the_procfile_roles_from_one_image():
    compose = (ROOT / "compose.yaml").read_text()
    blocks = service_blocks(compose)
    roles = dict(line.split(":", 1) for line in (ROOT / "Procfile").read_text().splitlines() if line.strip())
    assert set(roles) | {"postgres"} == set(blocks)
    for role, command in roles.items():
        words = ", ".join(f'"{word}"' for word in command.split())
        assert f"command: [{words}]" in blocks[role], blocks[role]
        assert "<<: *commit-radar" in blocks[role]


@needs_compose
def test_compose_file_is_valid_with_postgres_healthy_before_web_and_worker(tmp_path):
    # env_file must exist for compose to accept the file; an empty one stands in for the user's .env.
    shutil.copy(ROOT / "compose.yaml", tmp_path / "compose.yaml")
    (tmp_path / ".env").write_text("")

    def compose(*args: str) -> str:
        result = subprocess.run([*COMPOSE, "-f", str(tmp_path / "compose.yaml"), *args], capture_output=True,
                                text=True, timeout=60, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        return result.stdout

    assert set(compose("config", "--services").split()) == {"postgres", "web", "worker"}
    assert compose("config", "--volumes").split() == ["pgdata"]
    blocks = service_blocks(compose("config"))
    assert "pg_isready" in blocks["postgres"] and "pgdata:/var/lib/postgresql/data" in blocks["postgres"]
    for role in ("web", "worker"):
        assert re.search(r"postgres:\n\s+condition: service_healthy", blocks[role]), blocks[role]
        assert "postgresql://commit_radar:" in blocks[role] and "@postgres:5432/commit_radar" in blocks[role]
