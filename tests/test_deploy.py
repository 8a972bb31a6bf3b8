"""The Dockerfile, .dockerignore and deploy/kubernetes/, checked without a Docker engine or a cluster.

The image's steps run for real in a fresh virtual environment (tests/dockerfile.py); the manifests are validated
against the Kubernetes schemas (kubernetes-validate) and compared with docker-compose.yml's commands.
"""

from __future__ import annotations

import copy
import os
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import kubernetes_validate
import pytest
import yaml
from packaging.requirements import Requirement

from otel_locust import __version__

from .dockerfile import BASE_IMAGE, BASE_WORKDIR, context_files, ignore_patterns, ignored, stages, stand_in_build
from .helpers import ROOT, Receiver, summary

DOCKERFILE = ROOT / "Dockerfile"
STAGES = stages(DOCKERFILE.read_text())
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
K8S = ROOT / "deploy" / "kubernetes"
KUSTOMIZATION = yaml.safe_load((K8S / "kustomization.yaml").read_text())
MANIFESTS = {name: list(yaml.safe_load_all((K8S / name).read_text())) for name in KUSTOMIZATION["resources"]}
RESOURCES = {(doc["kind"], doc["metadata"]["name"]): doc for docs in MANIFESTS.values() for doc in docs}
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
SECRET_OPTIONS = {"otel-api-key", "otel-headers"}  # the options marked is_secret in otel_locust/options.py
SECRETISH = re.compile(r"key|token|secret|password|header|auth", re.IGNORECASE)


# --- Dockerfile and build context ------------------------------------------------------------------------------


def _base_version() -> str:
    bases = {stage.base for stage in STAGES}
    assert len(bases) == 1, f"every stage on the same base image: {bases}"
    (base,) = bases
    name, _, tag = base.partition(":")
    assert name == BASE_IMAGE and re.fullmatch(r"\d+\.\d+\.\d+", tag), f"an official, pinned Locust image: {base}"
    return tag


def test_dockerfile_installs_a_wheel_on_the_pinned_official_image():
    tag = _base_version()
    (locust,) = [Requirement(r) for r in PYPROJECT["project"]["dependencies"] if Requirement(r).name == "locust"]
    assert tag in locust.specifier, f"the image's Locust {tag} does not satisfy the plugin's {locust}"
    build, final = STAGES
    compiler, wheel = build.all("RUN")  # a C compiler for the optional extension, then the wheel
    assert re.search(r"\bapt-get install\b.*\bgcc\b", compiler.args) and "command -v gcc" in compiler.args
    assert re.search(r"\bpip wheel\b.*--no-deps", wheel.args), wheel.args
    (install,) = final.all("RUN")
    assert re.search(r"\bpip install\b.*\S+\.whl$", install.args) and " -e " not in install.args, install.args
    assert any(f"--from={build.name}" in c.args for c in final.all("COPY")), "the wheel comes from the build stage"
    assert any(c.args.split()[-2:] == ["locustfiles/", "locustfiles/"] for c in final.all("COPY"))


def test_the_image_runs_as_the_non_root_user_with_locust_as_entrypoint():
    _, final = STAGES
    users = [u.args for u in final.all("USER")]
    assert users and users[-1] == "locust", f"the last USER must be the base image's non-root user: {users}"
    assert not any(u.args.split(":")[0] in ("root", "0") for u in final.all("USER"))  # the build stage installs gcc
    assert [w.args for w in final.all("WORKDIR")][-1] == BASE_WORKDIR
    assert final.all("ENTRYPOINT")[-1].exec_form() == ["locust"]
    assert final.all("CMD")[-1].exec_form() == ["-f", "locustfiles/agent_mix.py"]
    exposed = {port for e in final.all("EXPOSE") for port in e.args.split()}
    assert exposed == {"8089", "5557", "4318"}


def test_dockerignore_matching():
    patterns = ["**/__pycache__", "*.json", "tests", "!tests/keep.py"]
    assert ignored("otel_locust/__pycache__/x.pyc", patterns) and ignored("__pycache__", patterns)
    assert ignored("s.json", patterns) and not ignored("otel_locust/s.json", patterns)
    assert ignored("tests/test_x.py", patterns) and not ignored("tests/keep.py", patterns)
    assert not ignored("testsuite.py", patterns)


def test_the_build_context_holds_what_the_wheel_and_image_need_and_nothing_else():
    files = context_files()
    tracked = subprocess.run(
        ["git", "ls-files", "pyproject.toml", "setup.py", "README.md", "otel_locust", "scenarios", "locustfiles"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert tracked and set(tracked) <= set(files), set(tracked) - set(files)
    tops = {f.split("/")[0] for f in files}
    assert tops <= {"pyproject.toml", "setup.py", "README.md", "LICENSE", "otel_locust", "scenarios", "locustfiles"}, (
        tops
    )
    assert not [f for f in files if "__pycache__" in f or ".egg-info" in f or f.endswith((".pyc", ".so"))]
    assert ".git" in ignore_patterns((ROOT / ".dockerignore").read_text())


@pytest.mark.e2e
@pytest.mark.skipif(shutil.which("gcc") is None, reason="the build stage compiles the C extension: no gcc here")
def test_the_image_steps_run_here(tmp_path):
    """The Dockerfile carried out in a fresh venv (standing in for the base image's), then the image's entrypoint
    run from an empty folder with the copied locustfile: the installed wheel alone must be enough."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    base = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", f"locust=={_base_version()}"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert base.returncode == 0, base.stderr[-3000:]
    context = tmp_path / "context"
    for name in context_files():
        (context / name).parent.mkdir(parents=True, exist_ok=True)
        if (ROOT / name).is_symlink():
            (context / name).symlink_to(os.readlink(ROOT / name))
        else:
            shutil.copy2(ROOT / name, context / name)
    image = stand_in_build(DOCKERFILE, context, tmp_path / "image", venv)
    assert image.user == "locust"

    (wheel,) = image.path("/opt/otel-locust/wheels").glob("otel_locust-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "otel_locust/__init__.py" in names
    assert [n for n in names if n.startswith("otel_locust/encoding/_stamp.") and n.endswith(".so")], names
    wheel_has_scenarios = any(re.search(r"(^|/)scenarios/simple_query\.py$", n) for n in names)

    empty = tmp_path / "empty"
    empty.mkdir()
    skip = ("PYTHONPATH", "PYTHONHOME", "OTEL_LOCUST_STAMP")
    env = {k: v for k, v in os.environ.items() if k not in skip and not k.startswith("LOCUST")}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    where, stamping = subprocess.run(
        [str(python), "-c", "import otel_locust.encoding.reissue as r; print(r.__file__); print(r.STAMPING)"],
        cwd=empty,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.split()
    assert Path(where).is_relative_to(venv), f"otel_locust imported from {where}, not from the installed wheel"
    assert stamping == "native"  # the wheel's C extension is the one in use

    locustfile = image.path(image.cmd[image.cmd.index("-f") + 1])
    assert locustfile.is_file()
    receiver = Receiver()
    try:
        result = subprocess.run(
            [
                shutil.which(image.entrypoint[0], path=env["PATH"]),
                *image.entrypoint[1:],
                "-f",
                str(locustfile),
                "--headless",
                "-u",
                "2",
                "-r",
                "2",
                "-t",
                "3s",
                "--otel-platform",
                "otlp",
                "--otel-endpoint",
                receiver.url,
                "--otel-summary",
                str(tmp_path / "s.json"),
            ],
            cwd=empty,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        receiver.shutdown()
    assert wheel_has_scenarios, "the travel pack ships inside the wheel"
    assert result.returncode == 0, result.stderr[-3000:]
    data = summary(tmp_path / "s.json")
    assert len(receiver.traces()) == data["total"]["traces"]["delivered"] >= 1
    _a_user_pack_runs_from_an_empty_folder(empty, env, tmp_path)


USER_LOCUSTFILE = """from otel_locust import AgentTraceUser


class Agents(AgentTraceUser):
    \"\"\"A user's own locustfile, anywhere: five lines.\"\"\"
"""
USER_PACK = {
    "__init__.py": """from otel_locust.engine.pools import Pools


class Content(Pools):
    def builders(self):
        return {"q": lambda: self.text(self.fake.sentence()), "s": lambda: self.text("You are a helpful agent."),
                "a": lambda: self.text(self.fake.paragraph()), "t": lambda: self.text("help")}


CONTENT = Content
""",
    "helpdesk.py": """from otel_locust.engine.scenario import Agent, Answer, Model, Scenario

MODEL = Model("gpt-4.1-mini", "openai", "gpt-4.1-mini-2025-04-14", "api.openai.com")
SCENARIO = Scenario("helpdesk", "one answer", Agent("helpdesk", "answers", MODEL, "s", (Answer("a"),), task="t"),
                    "q")
""",
}


def _a_user_pack_runs_from_an_empty_folder(empty: Path, env: dict[str, str], tmp_path: Path) -> None:
    """The installed plugin, a five-line locustfile and a pack of the user's own (not installed), embedded sink."""
    (empty / "locustfile.py").write_text(USER_LOCUSTFILE)
    for name, text in USER_PACK.items():
        (empty / "my_pack" / name).parent.mkdir(exist_ok=True)
        (empty / "my_pack" / name).write_text(text)
    result = subprocess.run(
        [
            shutil.which("locust", path=env["PATH"]) or "locust",
            "-f",
            "locustfile.py",
            "--headless",
            "-u",
            "2",
            "-r",
            "2",
            "-t",
            "3s",
            "--otel-pace",
            "0.2",
            "--otel-scenarios",
            "./my_pack",
            "--otel-summary",
            str(tmp_path / "pack.json"),
        ],
        cwd=empty,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    data = summary(tmp_path / "pack.json")
    assert set(data["scenarios"]) == {"helpdesk"}
    assert (
        data["sink"]["traces_complete"]
        == data["total"]["traces"]["delivered"]
        == data["total"]["traces"]["generated"]
        >= 1
    )


# --- Kubernetes ---------------------------------------------------------------------------------------------------


def _pod_spec(name: str) -> dict:
    return RESOURCES[("Deployment", name)]["spec"]["template"]["spec"]


def _container(name: str) -> dict:
    (container,) = _pod_spec(name)["containers"]
    return container


def test_kustomization_lists_every_manifest():
    on_disk = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    assert set(KUSTOMIZATION["resources"]) == on_disk
    assert {(k, n.split("-")[-1]) for k, n in RESOURCES} == {
        ("ConfigMap", "config"),
        ("Deployment", "master"),
        ("Service", "master"),
        ("Deployment", "worker"),
    }
    (image,) = KUSTOMIZATION["images"]
    assert image["newTag"] == __version__


@pytest.mark.parametrize("name", sorted(MANIFESTS))
def test_manifests_validate_against_the_kubernetes_schemas(name):
    for doc in MANIFESTS[name]:
        kubernetes_validate.validate(doc, kubernetes_validate.latest_version(), strict=True)


def test_the_schema_validation_catches_mistakes():
    worker = RESOURCES[("Deployment", "otel-locust-worker")]
    misspelt, wrong_type = copy.deepcopy(worker), copy.deepcopy(worker)
    misspelt["spec"]["template"]["spec"]["containers"][0]["imagePulPolicy"] = "Always"
    wrong_type["spec"]["replicas"] = "two"
    for broken in (misspelt, wrong_type):
        with pytest.raises(kubernetes_validate.ValidationError):
            kubernetes_validate.validate(broken, kubernetes_validate.latest_version(), strict=True)


def test_master_and_worker_run_the_compose_commands():
    master, worker = _container("otel-locust-master"), _container("otel-locust-worker")
    assert "command" not in master and "command" not in worker, "the image's entrypoint (locust) runs the args"
    assert master["args"] == COMPOSE["master"]["command"] == ["-f", "locustfiles/agent_mix.py", "--master"]
    service = RESOURCES[("Service", "otel-locust-master")]["metadata"]["name"]
    assert worker["args"] == [a if a != "master" else service for a in COMPOSE["worker"]["command"]]
    assert worker["args"] == ["-f", "locustfiles/agent_mix.py", "--worker", "--master-host", service]
    assert master["image"] == worker["image"] == COMPOSE["master"]["image"] == COMPOSE["worker"]["image"]
    assert master["image"].split(":")[0] == KUSTOMIZATION["images"][0]["name"]


def test_the_master_service_reaches_the_master_pod_only():
    service = RESOURCES[("Service", "otel-locust-master")]["spec"]
    master_labels = RESOURCES[("Deployment", "otel-locust-master")]["spec"]["template"]["metadata"]["labels"]
    worker_labels = RESOURCES[("Deployment", "otel-locust-worker")]["spec"]["template"]["metadata"]["labels"]
    assert service["selector"].items() <= master_labels.items()
    assert not service["selector"].items() <= worker_labels.items()
    ports = {p["name"]: p["containerPort"] for p in _container("otel-locust-master")["ports"]}
    assert ports == {"web": 8089, "master": 5557, "otlp-sink": 4318}
    assert {p["targetPort"]: p["port"] for p in service["ports"]} == ports
    assert RESOURCES[("Deployment", "otel-locust-master")]["spec"]["replicas"] == 1
    assert "ports" not in _container("otel-locust-worker")


def test_workers_have_requests_and_limits_and_nothing_runs_as_root():
    resources = _container("otel-locust-worker")["resources"]
    assert set(resources) == {"requests", "limits"}
    assert all(set(resources[k]) == {"cpu", "memory"} for k in resources)
    for name in ("otel-locust-master", "otel-locust-worker"):
        security = _pod_spec(name)["securityContext"]
        assert security["runAsNonRoot"] and security["runAsUser"] != 0
        assert _container(name)["securityContext"]["allowPrivilegeEscalation"] is False


def _locust_conf() -> dict[str, str]:
    text = RESOURCES[("ConfigMap", "otel-locust-config")]["data"]["locust.conf"]
    pairs = [line.split("=", 1) for line in text.splitlines() if line.strip() and not line.startswith("#")]
    return {k.strip(): v.strip() for k, v in pairs}


def test_the_configmap_is_mounted_as_locust_conf_in_the_workdir():
    for name in ("otel-locust-master", "otel-locust-worker"):
        (mount,) = _container(name)["volumeMounts"]
        (volume,) = _pod_spec(name)["volumes"]
        assert mount["name"] == volume["name"] and volume["configMap"]["name"] == "otel-locust-config"
        assert mount["mountPath"] == f"{BASE_WORKDIR}/locust.conf" and mount["subPath"] == "locust.conf"
    conf = _locust_conf()
    assert conf["otel-platform"] == "otlp" and conf["otel-endpoint"].startswith("http")
    assert float(conf["otel-pace"]) > 0


def test_the_api_key_comes_from_the_secret_and_no_secret_is_in_the_configmap():
    for name in ("otel-locust-master", "otel-locust-worker"):
        env = {e["name"]: e for e in _container(name)["env"]}
        ref = env["LOCUST_OTEL_API_KEY"]["valueFrom"]["secretKeyRef"]
        assert ref["name"] == "otel-locust" and ref["key"] == "api-key"
        assert not [e for e in env.values() if SECRETISH.search(e["name"]) and "value" in e], "a literal secret"
    conf = _locust_conf()
    assert all(k.startswith("otel-") for k in conf)
    assert not set(conf) & SECRET_OPTIONS and not [k for k in conf if SECRETISH.search(k)], conf
    assert not [v for v in conf.values() if SECRETISH.search(v)], "something like a credential in a value"
    assert "Secret" not in {kind for kind, _ in RESOURCES}, "secrets are created with kubectl, not committed"


@pytest.mark.e2e
def test_the_configmap_locust_conf_runs_here(tmp_path):
    """Locust reads the ConfigMap's locust.conf from its working folder, as in the pods; only the endpoint is
    overridden (on the command line) to a local receiver; the API key arrives as the Secret would put it."""
    (tmp_path / "locust.conf").write_text(RESOURCES[("ConfigMap", "otel-locust-config")]["data"]["locust.conf"])
    conf = _locust_conf()
    receiver = Receiver()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("LOCUST")},
        "PYTHONPATH": str(ROOT),
        "LOCUST_OTEL_API_KEY": "from-the-secret",
    }  # PYTHONPATH: this checkout's plugin, whatever is installed
    try:
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "locust",
                "-f",
                str(ROOT / "locustfiles" / "agent_mix.py"),
                "--headless",
                "-u",
                "2",
                "-r",
                "2",
                "-t",
                "4s",
                "--otel-endpoint",
                receiver.url,
                "--otel-summary",
                "s.json",
            ],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        receiver.shutdown()
    assert result.returncode == 0, result.stderr[-3000:]
    data = summary(tmp_path / "s.json")
    settings = data["settings"]
    assert settings["platform"] == conf["otel-platform"] and settings["pace"] == float(conf["otel-pace"])
    assert settings["compression"] == conf.get("otel-compression", "none")
    assert len(receiver.traces()) == data["total"]["traces"]["delivered"] >= 1
    assert "from-the-secret" not in (tmp_path / "s.json").read_text() + result.stdout + result.stderr
