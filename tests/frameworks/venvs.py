"""One cached virtualenv per agent framework, with pinned versions, and a runner for the capture scripts.

Where: ``$OTEL_LOCUST_FRAMEWORKS`` (default ``~/.cache/otel-locust-frameworks``), one folder per framework. A venv
counts as installed when its marker file holds exactly the pinned requirements below, so changing a pin
reinstalls it and re-running is a no-op otherwise. Standard library only: it runs under any Python 3.11+.

    python3 tests/frameworks/venvs.py install [NAME ...]      # what .ci/install-frameworks runs, one per NAME
    python3 tests/frameworks/venvs.py capture NAME|all [--write]  # print, or write captures/NAME.json
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
CAPTURE_DIR = HERE / "capture"
CAPTURES = HERE / "captures"
MARKER = ".otel-locust-installed"

# Pinned to what resolved together on 2026-11; opentelemetry-sdk is pinned to the version each framework's own
# constraints resolved to (google-adk caps the API below 1.45).
REQUIREMENTS: dict[str, list[str]] = {
    "openai-agents": [
        "openai-agents==0.24.0",
        "openai==3.57.0",
        "openinference-instrumentation-openai-agents==2.6.0",
        "openinference-instrumentation==0.1.72",
        "opentelemetry-sdk==1.45.2",
    ],
    "langgraph": [
        "langgraph==1.2.22",
        "langchain==1.5.0",
        "langchain-core==1.8.1",
        "langchain-openai==1.7.4",
        "openai==3.57.0",
        "openinference-instrumentation-langchain==0.1.80",
        "openinference-instrumentation==0.1.72",
        "opentelemetry-sdk==1.45.2",
    ],
    "strands": ["strands-agents==1.62.0", "opentelemetry-sdk==1.45.1"],
    "pydantic-ai": ["pydantic-ai-slim==2.68.0", "opentelemetry-sdk==1.45.2"],
    "google-adk": ["google-adk==2.13.0", "opentelemetry-sdk==1.44.0"],
    "crewai": ["crewai==1.15.30", "openai==2.54.0", "opentelemetry-sdk==1.45.2"],
}

# Each capture: the venv (framework) it runs in, and the environment that selects a variant of its output.
VARIANTS: dict[str, tuple[str, dict[str, str]]] = {
    **{name: (name, {}) for name in REQUIREMENTS},
    "strands-latest": ("strands", {"OTEL_SEMCONV_STABILITY_OPT_IN": "gen_ai_latest_experimental"}),
    "strands-latest-attributes": (
        "strands",
        {"OTEL_SEMCONV_STABILITY_OPT_IN": "gen_ai_latest_experimental,gen_ai_span_attributes_only"},
    ),
    "google-adk-content": ("google-adk", {"OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": "true"}),
    "google-adk-legacy": ("google-adk", {"ADK_TELEMETRY_SCHEMA_VERSION_OPT_IN": "1"}),
}


def root() -> Path:
    return Path(os.environ.get("OTEL_LOCUST_FRAMEWORKS", "~/.cache/otel-locust-frameworks")).expanduser()


def venv(name: str) -> Path:
    return root() / name


def python(name: str) -> Path:
    return venv(name) / "bin" / "python"


def script(name: str) -> Path:
    return CAPTURE_DIR / f"{name.replace('-', '_')}.py"


def _marker_text(name: str) -> str:
    return "\n".join(REQUIREMENTS[name]) + "\n"


def installed(name: str) -> bool:
    marker = venv(name) / MARKER
    return python(name).exists() and marker.exists() and marker.read_text() == _marker_text(name)


def install(name: str) -> Path:
    """Create (or refresh) the venv for ``name`` with its pinned requirements; a no-op when already done."""
    if installed(name):
        print(f"{name}: already installed in {venv(name)}", flush=True)
        return venv(name)
    target = venv(name)
    if target.exists():  # a half-made venv or older pins: start again
        shutil.rmtree(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "venv", str(target)], check=True)
    subprocess.run(
        [str(python(name)), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *REQUIREMENTS[name]],
        check=True,
    )
    (target / MARKER).write_text(_marker_text(name))
    print(f"{name}: installed in {target}", flush=True)
    return target


def run_capture(capture: str, timeout: float = 600) -> dict[str, Any]:
    """Run the capture named ``capture`` (a key of VARIANTS) with its framework's venv python, offline, and
    return its parsed JSON."""
    name, extra = VARIANTS[capture]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "OPENAI_", "GOOGLE_", "GEMINI_"))}
    env.update({"PYTHONDONTWRITEBYTECODE": "1", "NO_PROXY": "*", "HF_HUB_OFFLINE": "1"}, **extra)
    done = subprocess.run(
        [str(python(name)), str(script(name))],
        cwd=CAPTURE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode != 0:
        raise RuntimeError(f"capture {capture} exited {done.returncode}:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout)


def main(argv: list[str]) -> int:
    if len(argv) >= 1 and argv[0] == "install":
        for name in argv[1:] or list(REQUIREMENTS):
            install(name)
        return 0
    if len(argv) >= 2 and argv[0] == "capture":
        names = [a for a in argv[1:] if a != "--write"]
        for capture in list(VARIANTS) if names == ["all"] else names:
            if not installed(VARIANTS[capture][0]):
                print(f"{capture}: skipped, {venv(VARIANTS[capture][0])} is not installed", file=sys.stderr)
                continue
            text = json.dumps(run_capture(capture), indent=2, sort_keys=True) + "\n"
            if "--write" in argv:
                CAPTURES.mkdir(exist_ok=True)
                (CAPTURES / f"{capture}.json").write_text(text)
                print(f"{capture}: wrote {CAPTURES / f'{capture}.json'}", file=sys.stderr)
            else:
                sys.stdout.write(text)
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
