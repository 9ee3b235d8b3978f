"""deploy/: every YAML file parses, and the images, commands, probes, ports and settings
names it uses are what the app really exposes (no Docker engine needed: the files are
checked against the code, the CLI and the routes)."""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterator
from importlib import import_module, metadata
from pathlib import Path
from typing import Any

import pytest
import yaml
from packaging.markers import default_environment
from packaging.requirements import Requirement
from typer.testing import CliRunner

from app.cli import cli
from app.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
KUBERNETES = DEPLOY / "kubernetes"
APP_PORT = 8000
APP_IMAGE = re.compile(r"(^|/)convention-api(:|$)")
UVICORN = ["uvicorn", "--factory", "app.main:create_app", "--host", "0.0.0.0",
           "--port", str(APP_PORT), "--no-access-log", "--timeout-graceful-shutdown", "20"]
SETTINGS_NAMES = frozenset(name.upper() for name in Settings.model_fields)
# Variables of the other images (their own documented settings, not the app's).
OTHER_IMAGES: dict[str, tuple[str, ...]] = {
    "postgres": ("POSTGRES_", "PG"),  # the postgres image, and libpq for pg_dump
    "axllent/mailpit": ("MP_",),
}
CONVENTION_API = re.compile(r"convention-api((?:\s+[\w:=.-]+)*)")

# ------------------------------------------------------------------------------ reading


def yaml_files() -> list[Path]:
    return sorted(p for p in DEPLOY.rglob("*") if p.suffix in {".yaml", ".yml"})


def documents(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d is not None]


def manifests() -> list[dict[str, Any]]:
    return [d for p in sorted(KUBERNETES.glob("*.yaml")) for d in documents(p)]


def manifest(kind: str, name: str) -> dict[str, Any]:
    found = [m for m in manifests() if m["kind"] == kind and m["metadata"]["name"] == name]
    assert len(found) == 1, f"{kind}/{name}: {len(found)} found"
    return found[0]


def compose() -> dict[str, Any]:
    return documents(DEPLOY / "compose.yaml")[0]


def pod_spec(item: dict[str, Any]) -> dict[str, Any]:
    """The pod template's spec of a Deployment, Job or CronJob."""
    if item["kind"] == "CronJob":
        return item["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return item["spec"]["template"]["spec"]


def workloads() -> list[dict[str, Any]]:
    return [m for m in manifests() if m["kind"] in {"Deployment", "Job", "CronJob"}]


def containers(item: dict[str, Any]) -> list[dict[str, Any]]:
    spec = pod_spec(item)
    return [*spec.get("initContainers", []), *spec["containers"]]


def is_app_image(image: str) -> bool:
    return bool(APP_IMAGE.search(image))


def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of deploy/Dockerfile, continuation lines joined."""
    text = re.sub(r"\\\n", " ", (DEPLOY / "Dockerfile").read_text())
    lines = [line.strip() for line in text.splitlines()]
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "")
        for line in lines if line and not line.startswith("#")
    ]


def final_stage() -> list[tuple[str, str]]:
    instructions = dockerfile()
    last_from = max(i for i, (op, _) in enumerate(instructions) if op == "FROM")
    return instructions[last_from:]


def exec_form(arguments: str) -> list[str]:
    return json.loads(arguments[arguments.index("["):])


# -------------------------------------------------------------------------- what it runs


def commands() -> Iterator[tuple[str, list[str]]]:
    """(where, argv) of every command of an app container, in compose and Kubernetes."""
    for name, service in compose()["services"].items():
        if "command" in service and is_app_image(service.get("image", "")):
            command = service["command"]
            yield f"compose {name}", command if isinstance(command, list) else shlex.split(command)
    for item in workloads():
        for container in containers(item):
            if is_app_image(container["image"]):
                argv = [*container.get("command", []), *container.get("args", [])]
                yield f"{item['kind']}/{item['metadata']['name']}/{container['name']}", argv
    yield "Dockerfile CMD", exec_form(dict(final_stage())["CMD"])


def cli_invocations(argv: list[str]) -> list[list[str]]:
    """`convention-api …` invocations of a command, also inside `sh -c` scripts."""
    if argv[:2] == ["sh", "-c"]:
        return [shlex.split(m.group(1)) for m in CONVENTION_API.finditer(argv[2])]
    if argv and argv[0] == "convention-api":
        return [argv[1:]]
    return []


def test_every_yaml_file_under_deploy_parses_into_documents():
    assert yaml_files(), "no YAML under deploy/"
    for path in yaml_files():
        docs = documents(path)
        assert docs and all(isinstance(d, dict) for d in docs), path
    for item in manifests():
        assert {"apiVersion", "kind", "metadata"} <= item.keys(), item
        assert item["metadata"].get("name"), item


def test_kubernetes_has_each_object_the_operations_need():
    kinds = {(m["kind"], m["metadata"]["name"]) for m in manifests()}
    assert {
        ("Deployment", "convention-api"), ("Service", "convention-api"),
        ("Job", "convention-migrate"), ("CronJob", "convention-jobs"),
        ("ConfigMap", "convention-config"), ("Secret", "convention-secrets"),
        ("Secret", "convention-jwt"), ("PodDisruptionBudget", "convention-api"),
        ("CronJob", "convention-backup"),
    } <= kinds


def test_every_convention_api_command_used_exists_in_the_cli():
    runner = CliRunner()
    used = [(where, args) for where, argv in commands() for args in cli_invocations(argv)]
    assert {tuple(args[:2]) for _, args in used} >= {
        ("db", "upgrade"), ("db", "seed"), ("jobs", "run")
    }
    for where, args in used:
        result = runner.invoke(cli, [*args, "--help"])
        assert result.exit_code == 0, f"{where}: convention-api {' '.join(args)}: {result.output}"


def test_the_console_script_convention_api_is_the_typer_app():
    [script] = [e for e in metadata.entry_points(group="console_scripts")
                if e.name == "convention-api"]
    module, _, function = script.value.partition(":")
    main = getattr(import_module(module), function)
    assert main.__module__ == "app.cli" and callable(main)


def test_every_uvicorn_command_serves_the_app_factory_on_the_exposed_port():
    served = [(where, argv) for where, argv in commands() if argv[:1] == ["uvicorn"]]
    assert {where for where, _ in served} >= {
        "Dockerfile CMD", "compose api", "Deployment/convention-api/api"
    }
    for where, argv in served:
        assert argv == UVICORN, where
        target = argv[argv.index("--factory") + 1]
        module, _, factory = target.partition(":")
        assert callable(getattr(import_module(module), factory)), where


@pytest.fixture(scope="module")
def app_paths(tmp_path_factory) -> set[str]:
    """The paths the app answers GET on (from its OpenAPI document)."""
    from app.main import create_app

    settings = Settings(_env_file=None, environment="test",  # type: ignore[call-arg]
                        database_url="sqlite+aiosqlite:///:memory:",
                        jwt_private_key_file=tmp_path_factory.mktemp("keys") / "dev-key.pem")
    paths = create_app(settings).openapi()["paths"]
    return {path for path, operations in paths.items() if "get" in operations}


def test_probes_and_health_checks_use_routes_the_app_serves(app_paths):
    api = manifest("Deployment", "convention-api")
    [container] = containers(api)
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    probed = {container[p]["httpGet"]["path"]
              for p in ("readinessProbe", "livenessProbe", "startupProbe")}
    scraped = api["spec"]["template"]["metadata"]["annotations"]["prometheus.io/path"]
    healthcheck = dict(final_stage())["HEALTHCHECK"]
    [checked] = re.findall(r"http://127\.0\.0\.1:(\d+)(/\w+)", healthcheck)
    assert checked == (str(APP_PORT), "/healthz")
    assert "urllib" in healthcheck and "curl" not in healthcheck
    assert {*probed, scraped, checked[1]} <= app_paths


def test_ports_agree_from_the_dockerfile_to_the_service():
    instructions = dict(final_stage())
    assert instructions["EXPOSE"].split() == [str(APP_PORT)]
    api = manifest("Deployment", "convention-api")
    [container] = containers(api)
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports == {"http": APP_PORT}
    for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
        assert container[probe]["httpGet"]["port"] in ports
    service = manifest("Service", "convention-api")
    assert [p["targetPort"] for p in service["spec"]["ports"]] == ["http"]
    annotations = api["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/port"] == str(APP_PORT)
    published = compose()["services"]["api"]["ports"]
    assert [p.rsplit(":", 1)[1] for p in published] == [str(APP_PORT)]


def test_selectors_of_the_service_and_the_budget_pick_the_api_pods():
    api = manifest("Deployment", "convention-api")
    labels = api["spec"]["template"]["metadata"]["labels"]
    for selector in (api["spec"]["selector"]["matchLabels"],
                     manifest("Service", "convention-api")["spec"]["selector"],
                     manifest("PodDisruptionBudget", "convention-api")["spec"]["selector"]
                     ["matchLabels"]):
        assert selector.items() <= labels.items()
    assert manifest("PodDisruptionBudget", "convention-api")["spec"]["minAvailable"] == 1
    assert api["spec"]["replicas"] == 2


# ------------------------------------------------------------------------------- settings


def allowed(image: str, name: str) -> bool:
    if is_app_image(image):
        return name in SETTINGS_NAMES
    prefixes = next((p for base, p in OTHER_IMAGES.items() if image.split(":")[0] == base), ())
    return name.startswith(prefixes)


def env_sources(container: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(name, object) of the ConfigMaps and Secrets a container reads whole (envFrom)."""
    for source in container.get("envFrom", []):
        for ref, kind in (("configMapRef", "ConfigMap"), ("secretRef", "Secret")):
            if ref in source:
                yield source[ref]["name"], manifest(kind, source[ref]["name"])


def test_every_variable_given_to_a_container_is_a_setting_of_its_image():
    checked = 0
    for item in workloads():
        for container in containers(item):
            image = container["image"]
            for variable in container.get("env", []):
                assert allowed(image, variable["name"]), (container["name"], variable["name"])
                ref = variable.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    assert ref["key"] in manifest("Secret", ref["name"])["stringData"]
                checked += 1
            for name, source in env_sources(container):
                for key in {**source.get("data", {}), **source.get("stringData", {})}:
                    assert allowed(image, key), (container["name"], name, key)
                    checked += 1
    for name, service in compose()["services"].items():
        environment = service.get("environment", {})
        if isinstance(environment, list):
            environment = dict(e.split("=", 1) for e in environment)
        for key in environment:
            assert allowed(service["image"], key), (name, key)
            checked += 1
    assert checked > 40


def production_settings(environment: dict[str, Any]) -> Settings:
    values = {k.lower(): str(v) for k, v in environment.items() if k.upper() in SETTINGS_NAMES}
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


def test_the_app_containers_settings_pass_the_production_validation():
    config = manifest("ConfigMap", "convention-config")["data"]
    secrets = manifest("Secret", "convention-secrets")["stringData"]
    settings = production_settings({**config, **secrets})
    assert settings.environment == "production" and not settings.is_sqlite
    assert (settings.auto_migrate, settings.seed_on_start, settings.run_scheduler) == (
        False, False, False)
    for name, service in compose()["services"].items():
        if is_app_image(service["image"]):
            settings = production_settings(service["environment"])
            assert settings.environment == "production" and not settings.is_sqlite, name


def test_the_signing_key_is_mounted_where_the_settings_look_for_it():
    key_file = Path(manifest("ConfigMap", "convention-config")["data"]["JWT_PRIVATE_KEY_FILE"])
    api = manifest("Deployment", "convention-api")
    [container] = containers(api)
    [mount] = [m for m in container["volumeMounts"] if m["mountPath"] == str(key_file.parent)]
    [volume] = [v for v in pod_spec(api)["volumes"] if v["name"] == mount["name"]]
    secret = manifest("Secret", volume["secret"]["secretName"])
    assert key_file.name in secret["stringData"]

    service = compose()["services"]["api"]
    [secret_name] = service["secrets"]
    assert service["environment"]["JWT_PRIVATE_KEY_FILE"] == f"/run/secrets/{secret_name}"
    assert compose()["secrets"][secret_name]["file"].startswith("./secrets/")
    assert "secrets/" in (DEPLOY / ".gitignore").read_text().split()


def test_secret_examples_hold_only_marked_placeholders():
    for item in manifests():
        if item["kind"] == "Secret":
            for key, value in item["stringData"].items():
                assert "CHANGE-ME" in value, (item["metadata"]["name"], key)


# ----------------------------------------------------------------------- roles and order


def test_compose_migrates_once_before_the_api_and_runs_the_jobs():
    services = compose()["services"]
    assert {"api", "postgres", "mailpit", "migrate", "jobs"} <= services.keys()
    assert services["postgres"]["image"] == "postgres:15"
    script = services["migrate"]["command"][2]
    assert script.index("db upgrade") < script.index("db seed")
    assert services["migrate"]["restart"] == "no"
    for runner in ("api", "jobs"):
        assert services[runner]["depends_on"]["migrate"] == {
            "condition": "service_completed_successfully"
        }
    assert "convention-api jobs run" in services["jobs"]["command"][2]
    assert services["api"]["environment"]["SMTP_HOST"] == "mailpit"
    assert services["api"]["environment"]["SMTP_PORT"] == "1025"


def test_kubernetes_migrates_upgrade_then_seed_and_runs_the_jobs_every_minute():
    job = manifest("Job", "convention-migrate")
    assert [c["command"] for c in containers(job)] == [
        ["convention-api", "db", "upgrade"], ["convention-api", "db", "seed"]
    ]
    cron = manifest("CronJob", "convention-jobs")
    assert cron["spec"]["schedule"] == "* * * * *"
    assert cron["spec"]["concurrencyPolicy"] == "Forbid"
    [container] = containers(cron)
    assert container["command"] == ["convention-api", "jobs", "run"]


def test_every_app_container_has_resources_and_runs_unprivileged_as_the_image_user():
    user, _, group = dict(final_stage())["USER"].partition(":")
    assert user.isdigit() and int(user) != 0 and user != "root"
    for item in workloads():
        security = pod_spec(item)["securityContext"]
        assert security["runAsNonRoot"] is True and security["runAsUser"] != 0
        for container in containers(item):
            if is_app_image(container["image"]):
                assert (security["runAsUser"], security["runAsGroup"]) == (
                    int(user), int(group)), item["metadata"]["name"]
            assert container["resources"]["requests"].keys() >= {"cpu", "memory"}
            assert container["resources"]["limits"]["memory"]
            context = container["securityContext"]
            assert context["allowPrivilegeEscalation"] is False
            assert context["capabilities"]["drop"] == ["ALL"]


# ----------------------------------------------------------------------------- the image


def test_the_dockerfile_builds_in_one_stage_and_runs_a_slim_non_root_one():
    instructions = dockerfile()
    stages = [args for op, args in instructions if op == "FROM"]
    assert len(stages) == 2 and stages[0].endswith("AS builder")
    assert "ARG PYTHON_IMAGE=python:3.11-slim" in [f"{op} {args}" for op, args in instructions]
    final = final_stage()
    environment = " ".join(args for op, args in final if op == "ENV")
    assert "ENVIRONMENT=production" in environment and "AUTO_MIGRATE=false" in environment
    runs = " ".join(args for op, args in final if op == "RUN")
    assert "apt-get" not in runs and "pip" not in runs  # no build tools in the final image
    copies = [args for op, args in final if op == "COPY"]
    assert all(c.startswith("--from=builder") for c in copies)
    assert {c.split()[-1] for c in copies} == {"/opt/venv", "/app"}
    assert exec_form(dict(final)["CMD"]) == UVICORN
    builder_copies = " ".join(args for op, args in instructions[: -len(final)] if op == "COPY")
    for needed in ("alembic.ini", "alembic", "app", "pyproject.toml", "requirements.lock"):
        assert re.search(rf"(^|\s){re.escape(needed)}(\s|$)", builder_copies), needed


def test_the_build_context_lets_in_only_what_the_dockerfile_copies():
    rules = [line for line in (ROOT / ".dockerignore").read_text().splitlines()
             if line and not line.startswith("#")]
    assert rules[0] == "**"
    let_in = {rule[1:].rstrip("/") for rule in rules if rule.startswith("!")}
    builder = dockerfile()[: -len(final_stage())]
    sources = {part for op, args in builder if op == "COPY" for part in args.split()[:-1]}
    assert sources == let_in
    assert all((ROOT / source).exists() for source in sources)
    assert (ROOT / "app" / "templates" / "mail").is_dir()  # inside app/, copied with it


def test_the_lock_pins_every_runtime_dependency_the_image_installs():
    """The image installs pyproject's dependencies constrained by the lock: every package
    of that closure (markers and extras evaluated) must be pinned, at the tested version."""
    pinned = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if "==" in line and not line.startswith("#"):
            name, version = line.split("==", 1)
            pinned[canonical(name)] = version.strip()
    extras: dict[str, set[str]] = {"convention-service": set()}
    todo = ["convention-service"]
    while todo:
        name = todo.pop()
        for text in metadata.requires(name) or []:
            requirement = Requirement(text)
            if requirement.marker and not any(
                requirement.marker.evaluate({**default_environment(), "extra": extra})
                for extra in ("", *extras[name])
            ):
                continue
            dependency = canonical(requirement.name)
            assert dependency in pinned, f"{dependency} (needed by {name}) is not in the lock"
            assert metadata.version(dependency) == pinned[dependency], dependency
            if dependency not in extras or not requirement.extras <= extras[dependency]:
                extras.setdefault(dependency, set()).update(requirement.extras)
                todo.append(dependency)
    assert {"fastapi", "uvicorn", "asyncpg", "alembic", "greenlet"} <= extras.keys()
    assert not {"pytest", "ruff", "schemathesis"} & extras.keys()  # test tools stay out


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


# ------------------------------------------------------------------------------- the docs


def test_the_deploy_readme_explains_every_file():
    readme = (DEPLOY / "README.md").read_text()
    for path in sorted(DEPLOY.rglob("*")):
        if path.is_file() and path.name not in {"README.md", ".gitignore"}:
            assert path.name in readme, path
    for topic in ("pg_dump", "pg_restore", "JWT_PREVIOUS_PUBLIC_KEYS_FILE", "clients revoke",
                  "/readyz"):
        assert topic in readme, topic
