"""docker-compose.yml cannot run here (no Docker engine): check that it is
valid and runs only commands this repository (or Prefect, or Dask) provides,
each with options its `--help` lists, and that the rest of the suite runs
each of them outside Docker (`TESTED_BY`)."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import click
import typer
import yaml

from extractors.core.settings import Settings, load
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


# The command each service runs (its first words), and the test that runs it outside Docker.
TESTED_BY = {
    ("prefect", "server", "start"): "tests/support/prefect_api.py",
    ("veille", "serve"): "tests/flows/test_service.py",
    ("veille", "deploy"): "tests/flows/test_work_pool.py",
    ("prefect", "worker", "start"): "tests/flows/test_work_pool.py",
    ("dask", "scheduler"): "tests/flows/test_dask.py",
    ("dask", "worker"): "tests/flows/test_dask.py",
}


def _help_lists_options(argv: list[str], words: int) -> None:
    """`argv[:words] --help` runs here, and lists every --option argv passes."""
    command = [str(Path(sys.executable).with_name(argv[0])), *argv[1:words], "--help"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, (argv, result.stderr)
    for word in argv[words:]:
        if word.startswith("--"):
            assert re.search(rf"(^|[\s/,]){re.escape(word)}\b", result.stdout), (
                f"{argv[:words]} has no {word}"
            )


def test_every_compose_command_is_provided_and_tested() -> None:
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    for name, service in compose["services"].items():
        argv = service.get("command")
        if argv is None:
            assert service["image"].startswith("postgres:"), name
            continue
        words = next((len(k) for k in TESTED_BY if tuple(argv[: len(k)]) == k), None)
        assert words is not None, f"{name} runs {argv[:3]}, which no test runs"
        test = (REPO / TESTED_BY[tuple(argv[:words])]).read_text()
        assert all(f'"{w}"' in test for w in argv[1:words]), (name, TESTED_BY[tuple(argv[:words])])
        if argv[0] == "veille":
            _veille_command(argv)
        else:
            _help_lists_options(argv, words)


def test_compose_wires_the_dask_cluster_and_the_work_pool() -> None:
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    services = compose["services"]
    scheduler = services["dask-scheduler"]["command"]
    address = f"tcp://dask-scheduler:{scheduler[scheduler.index('--port') + 1]}"
    for name in ("veille", "veille-deploy"):
        argv = services[name]["command"]
        assert argv[argv.index("--dask") + 1] == address, name
    settings = Settings().replace({"ingest.executor": "dask", "ingest.dask_address": address})
    assert settings.ingest.dask_address == address  # an address the settings accept
    workers = [s for n, s in services.items() if n.startswith("dask-worker")]
    assert len(workers) == 2 and all(w["command"][:3] == ["dask", "worker", address] for w in workers)
    assert all(
        s.get("build") == "." for n, s in services.items() if n.startswith(("dask", "veille", "prefect-w"))
    )
    deploy, worker = services["veille-deploy"]["command"], services["prefect-worker"]["command"]
    assert deploy[deploy.index("--pool") + 1] == worker[worker.index("--pool") + 1]
    assert services["veille-deploy"]["profiles"] == services["prefect-worker"]["profiles"] == ["work-pool"]
    # the worker's runs write the database where veille-deploy says it is
    assert services["veille-deploy"]["environment"]["VEILLE_DB"].startswith("/data/")
    assert "veille-data:/data" in services["prefect-worker"]["volumes"]


def test_compose_services_and_commands() -> None:
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) == {"postgres", "prefect-server", "veille", "dask-scheduler", "dask-worker-1",
                             "dask-worker-2", "veille-deploy", "prefect-worker"}  # fmt: skip
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
    # the image alone judges inputs in its own processes; compose adds its Dask cluster
    assert compose["services"]["veille"]["command"] == [*argv, "--dask", "tcp://dask-scheduler:8786"]
