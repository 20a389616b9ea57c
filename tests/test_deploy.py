"""Docker deployment files, checked without Docker (it cannot run on the development machines)."""

from __future__ import annotations

import fnmatch
import re
import socket
import subprocess
import tomllib

import pytest
import yaml

from tests.conftest import ROOT

BOTS = ("bot-telegram", "bot-whatsapp")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))


def _pin(package: str) -> str:
    text = (ROOT / "constraints.txt").read_text(encoding="utf-8")
    found = re.search(rf"^{re.escape(package)}==(\S+)$", text, re.MULTILINE | re.IGNORECASE)
    assert found, package
    return found.group(1)


def _pip_installs(lines: list[str]) -> list[str]:
    """The pip install commands of a Makefile recipe or Dockerfile RUN lines, in order, normalized."""
    found = []
    for line in lines:
        for command in re.split(r"&&|;", line):
            command = re.sub(
                r"\$\(BIN\)/|\$\{?TORCH_ARGS\}?|\$\(TORCH_ARGS\)|--quiet|--no-cache-dir", "", command
            )
            words = command.replace("\\", " ").split()
            if words[:2] == ["pip", "install"]:
                found.append(" ".join(words[2:]))
    return found


def test_compose_has_the_services_and_their_order(compose: dict) -> None:
    services = compose["services"]
    assert set(services) == {"chroma", "redis", "ingest", *BOTS}
    assert services["chroma"]["image"] == f"chromadb/chroma:{_pin('chromadb')}"
    assert services["redis"]["image"].startswith("redis:")
    for name in ("chroma", "redis"):
        assert services[name]["healthcheck"]["test"][0] == "CMD", name
        assert any(v.endswith(":/data") for v in services[name]["volumes"]), name  # persistent
    assert "/api/v2/heartbeat" in services["chroma"]["healthcheck"]["test"][-1]
    assert services["ingest"]["command"] == ["ingest"]
    assert services["ingest"]["restart"] == "no"
    assert services["ingest"]["depends_on"] == {"chroma": {"condition": "service_healthy"}}
    for bot in BOTS:
        assert services[bot]["depends_on"] == {
            "ingest": {"condition": "service_completed_successfully"},
            "chroma": {"condition": "service_healthy"},
            "redis": {"condition": "service_healthy"},
        }, bot


def _chroma_probe(compose: dict, port: int) -> subprocess.CompletedProcess[str]:
    """Compose's Chroma healthcheck as Docker would run it in the container, aimed at a local port."""
    command = compose["services"]["chroma"]["healthcheck"]["test"]
    script = command[-1].replace("$$", "$").replace("/127.0.0.1/8000", f"/127.0.0.1/{port}")
    return subprocess.run([*command[1:-1], script], capture_output=True, text=True, timeout=30, check=False)


def test_the_chroma_healthcheck_needs_only_bash_and_a_healthy_server(
    compose: dict, chroma_server: tuple[str, int]
) -> None:
    # The chroma image has bash but no curl, wget or python; the probe must do with bash alone.
    assert compose["services"]["chroma"]["healthcheck"]["test"][1] == "/bin/bash"
    host, port = chroma_server
    assert host == "127.0.0.1"
    assert _chroma_probe(compose, port).returncode == 0
    with socket.socket() as free:  # a port nothing listens on: the probe must fail
        free.bind(("127.0.0.1", 0))
        closed = free.getsockname()[1]
    assert _chroma_probe(compose, closed).returncode != 0


def test_every_bot_process_talks_to_the_servers(compose: dict) -> None:
    from bot.cli import app

    commands = {c.name or c.callback.__name__ for c in app.registered_commands}
    for name in ("ingest", *BOTS):
        service = compose["services"][name]
        assert service["command"][0] in commands, name
        assert service["build"] == "." and service["image"] == "tanya-spbe:latest"
        environment = service["environment"]
        assert environment["SPBE_CHROMA_HOST"] == "chroma"
        assert environment["SPBE_CHROMA_PORT"] == "8000"
        assert environment["SPBE_REDIS_URL"] == "redis://redis:6379/0"
    assert [compose["services"][b]["command"] for b in BOTS] == [["telegram"], ["whatsapp"]]


def test_no_secret_is_written_in_compose(compose: dict) -> None:
    for name, service in compose["services"].items():
        for key in service.get("environment", {}):
            assert not re.search(r"TOKEN|SECRET|KEY|SALT", key), (name, key)
        if name in ("ingest", *BOTS):
            assert service["env_file"] == "spbe.env"
    assert "spbe.env" in (ROOT / ".gitignore").read_text(encoding="utf-8").split()
    example = (ROOT / "spbe.env.example").read_text(encoding="utf-8")
    assert all(line.endswith("=") for line in example.splitlines() if line and not line.startswith("#"))


def test_dockerfile_installs_as_the_makefile_does() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = re.search(r"^install:\n((?:\t.*\n)+)", makefile, re.MULTILINE)
    assert recipe
    make_installs = _pip_installs(recipe.group(1).splitlines())
    runs = [line.removeprefix("RUN ") for line in dockerfile.splitlines() if line.startswith("RUN ")]
    docker_installs = _pip_installs(runs)
    torch = f"torch=={_pin('torch')}"
    # Same steps in the same order: pip itself, CPU torch at the pinned version, the project with constraints.
    assert make_installs == ["--upgrade pip", torch, "-c constraints.txt -e '.[dev]'"]
    assert docker_installs == [
        "--upgrade pip",
        f"{torch} --index-url https://download.pytorch.org/whl/cpu",
        "-c constraints.txt .",
    ]


def test_the_image_is_multi_stage_non_root_offline_and_healthchecked() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    stages = re.findall(r"^FROM (\S+)(?: AS (\w+))?", dockerfile, re.MULTILINE)
    assert len(stages) == 2 and stages[0][1] == "builder"
    runtime = dockerfile.split("\nFROM ", 2)[2]
    assert "COPY --from=builder /opt/venv /opt/venv" in runtime
    assert "pip install" not in runtime
    user = re.search(r"^USER (\S+)$", runtime, re.MULTILINE)
    assert user and user.group(1) not in ("root", "0")
    assert re.search(r"^HEALTHCHECK .*CMD \[\"spbe-bot\", \"status\"\]$", runtime, re.MULTILINE)
    assert "HF_HUB_OFFLINE=1" in runtime and "TRANSFORMERS_OFFLINE=1" in runtime


def test_a_non_editable_install_ships_every_data_file() -> None:
    # The image installs with `pip install .`, which copies only the package data pyproject names.
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    package_data: dict[str, list[str]] = pyproject["tool"]["setuptools"]["package-data"]
    tracked = subprocess.run(
        ["git", "ls-files", "bot", "ingest", "knowledge"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    for name in tracked:
        if name.endswith(".py") or name.startswith("knowledge/documents/"):
            continue
        package, _, inside = name.partition("/")
        assert any(fnmatch.fnmatch(inside, pattern) for pattern in package_data.get(package, [])), name
