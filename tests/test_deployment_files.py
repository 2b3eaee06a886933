"""docker-compose.yml cannot run here (no Docker engine): check that it is
valid and runs only commands this repository (or Prefect) provides, which
the rest of the suite tests outside Docker."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import click
import typer
import yaml

from extractors.core.settings import load
from flows.cli import app

REPO = Path(__file__).resolve().parent.parent


def _veille_command(argv: list[str]) -> click.Command:
    """Resolve `veille SUB --opts...` against the real CLI and check every option exists."""
    group = typer.main.get_command(app)
    assert argv[0] == "veille", argv
    ctx = click.Context(group)
    command = group.get_command(ctx, argv[1])
    assert command is not None, f"no such veille command: {argv[1]}"
    known = {opt for p in command.params for opt in getattr(p, "opts", [])}
    for word in argv[2:]:
        if word.startswith("--"):
            assert word in known, f"veille {argv[1]} has no option {word}"
    return command


def test_compose_services_and_commands() -> None:
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) == {"postgres", "prefect-server", "veille"}
    server = services["prefect-server"]
    assert server["command"][:3] == ["prefect", "server", "start"]
    assert server["ports"] == ["127.0.0.1:4200:4200"]  # the API has no authentication
    assert server["environment"]["PREFECT_API_DATABASE_CONNECTION_URL"].startswith(
        "postgresql+asyncpg://prefect:prefect@postgres:5432/"
    )
    veille = services["veille"]
    assert veille["build"] == "."
    assert _veille_command(veille["command"]).name == "serve"
    assert veille["environment"]["PREFECT_API_URL"] == "http://prefect-server:4200/api"
    mounts = {m.split(":")[1]: m.split(":")[0] for m in veille["volumes"]}
    assert mounts["/data"] == "veille-data" and "veille-data" in compose["volumes"]
    config_source = REPO / mounts["/config/veille.toml"]
    assert config_source.is_file()
    settings = load(config_source, environ={})  # the mounted config is valid
    assert settings.feeds


def test_dockerfile_installs_the_pinned_tree_and_runs_the_service() -> None:
    text = (REPO / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11", text, re.M)
    assert "-c constraints.txt" in text
    for package in ("extractors", "storage", "flows"):
        assert re.search(rf"^COPY {package} {package}$", text, re.M), package
    cmd = re.search(r"^CMD (\[.*\])$", text, re.M)
    assert cmd is not None
    argv = yaml.safe_load(cmd.group(1))
    # Exec form runs no shell: a word that would need one ($VAR, spaces, quotes) is
    # passed to veille as written.
    assert all(isinstance(word, str) and shlex.quote(word) == word for word in argv), argv
    assert _veille_command(argv).name == "serve"
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    assert argv == compose["services"]["veille"]["command"]
