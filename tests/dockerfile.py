"""The Dockerfile and .dockerignore read without a Docker engine: instructions, stages, the build context, and a
stand-in build that carries out the RUN steps in a fresh virtual environment (tests/test_deploy.py).

The stand-in knows what the base image ``locustio/locust`` provides (its Dockerfile upstream): Locust installed in a
virtual environment that belongs to the non-root user ``locust``, workdir ``/home/locust``, entrypoint ``locust``.
Each stage's filesystem is a folder; absolute paths in RUN steps and COPY destinations are mapped into it.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from .helpers import ROOT

BASE_IMAGE = "locustio/locust"
BASE_USER = "locust"
BASE_WORKDIR = "/home/locust"
BASE_ENTRYPOINT = ["locust"]


@dataclass
class Instruction:
    keyword: str
    args: str

    def exec_form(self) -> list[str]:
        value = json.loads(self.args)
        assert isinstance(value, list) and all(isinstance(v, str) for v in value), self
        return value


@dataclass
class Stage:
    base: str
    name: str | None
    steps: list[Instruction] = field(default_factory=list)

    def all(self, keyword: str) -> list[Instruction]:
        return [s for s in self.steps if s.keyword == keyword]


def instructions(text: str) -> list[Instruction]:
    """Instructions in order, continuation lines joined, comments and blank lines dropped."""
    result: list[Instruction] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line, pending = pending + line, ""
        keyword, _, args = line.partition(" ")
        result.append(Instruction(keyword.upper(), args.strip()))
    assert not pending, "the Dockerfile ends inside a continued line"
    return result


def stages(text: str) -> list[Stage]:
    result: list[Stage] = []
    for step in instructions(text):
        if step.keyword == "FROM":
            words = step.args.split()
            assert len(words) in (1, 3) and (len(words) == 1 or words[1].upper() == "AS"), step
            result.append(Stage(words[0], words[2] if len(words) == 3 else None))
        else:
            assert result, f"{step.keyword} before FROM"
            result[-1].steps.append(step)
    return result


def ignore_patterns(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]


def _regex(pattern: str) -> re.Pattern[str]:
    pattern = pattern.strip("/")
    out = ""
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.compile(out + r"\Z")


def ignored(relative: str, patterns: list[str]) -> bool:
    """Docker's rule: the last pattern matching the path or one of its parent folders decides ('!' re-includes)."""
    parts = relative.split("/")
    prefixes = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
    verdict = False
    for pattern in patterns:
        negated = pattern.startswith("!")
        if any(_regex(pattern.lstrip("!")).match(p) for p in prefixes):
            verdict = not negated
    return verdict


def context_files(root: Path = ROOT) -> list[str]:
    """The build context: every file under ``root`` that .dockerignore lets through, relative, sorted."""
    patterns = ignore_patterns((root / ".dockerignore").read_text())
    found: list[str] = []
    for folder, dirs, files in os.walk(root):
        base = Path(folder).relative_to(root).as_posix()
        prefix = "" if base == "." else f"{base}/"
        dirs[:] = [d for d in dirs if not ignored(prefix + d, patterns)]
        links = [d for d in dirs if os.path.islink(os.path.join(folder, d))]  # kept as links, as Docker does
        dirs[:] = [d for d in dirs if d not in links]
        found += [prefix + f for f in [*files, *links] if not ignored(prefix + f, patterns)]
    return sorted(found)


@dataclass
class Image:
    """What the stand-in build produced: the final stage's filesystem and settings."""

    fs: Path
    user: str
    workdir: str
    entrypoint: list[str]
    cmd: list[str]
    exposed: list[str]

    def path(self, image_path: str) -> Path:
        absolute = image_path if image_path.startswith("/") else f"{self.workdir}/{image_path}"
        return self.fs / absolute.lstrip("/")


def stand_in_build(dockerfile: Path, context: Path, work: Path, venv: Path) -> Image:
    """Carry out the Dockerfile: COPY into per-stage folders, RUN with the venv's ``pip`` and ``locust`` first on
    PATH (the base image's /opt/venv). Fails on an instruction it does not know."""
    all_stages = stages(dockerfile.read_text())
    named: dict[str, Path] = {}
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME") and not k.startswith("LOCUST")}
    env.update(PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}", VIRTUAL_ENV=str(venv))
    image: Image | None = None
    for index, stage in enumerate(all_stages):
        assert stage.base.startswith(BASE_IMAGE + ":"), f"the stand-in knows only {BASE_IMAGE}, not {stage.base}"
        fs = work / f"stage{index}"
        image = Image(fs, BASE_USER, BASE_WORKDIR, list(BASE_ENTRYPOINT), [], [])
        image.path(BASE_WORKDIR).mkdir(parents=True)
        for step in stage.steps:
            if step.keyword == "COPY":
                _copy(step, image, context, named)
            elif step.keyword == "RUN":
                assert not step.args.startswith("["), "RUN in shell form, please"
                command = re.sub(r"(?<!\S)/(?=\w)", f"{fs}/", step.args)
                cwd = image.path(image.workdir)
                cwd.mkdir(parents=True, exist_ok=True)
                done = subprocess.run(
                    ["sh", "-c", command], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
                )
                assert done.returncode == 0, f"RUN {step.args}\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
            elif step.keyword == "WORKDIR":
                image.workdir = step.args if step.args.startswith("/") else f"{image.workdir}/{step.args}"
                image.path(image.workdir).mkdir(parents=True, exist_ok=True)
            elif step.keyword == "USER":
                image.user = step.args
            elif step.keyword == "ENTRYPOINT":
                image.entrypoint, image.cmd = step.exec_form(), []
            elif step.keyword == "CMD":
                image.cmd = step.exec_form()
            elif step.keyword == "EXPOSE":
                image.exposed += step.args.split()
            else:
                raise AssertionError(f"the stand-in build does not know {step.keyword}")
        named[stage.name or str(index)] = fs
    assert image is not None, "no FROM"
    return image


def _copy(step: Instruction, image: Image, context: Path, named: dict[str, Path]) -> None:
    words = shlex.split(step.args)
    flags = {w.split("=", 1)[0]: w.split("=", 1)[1] for w in words if w.startswith("--")}
    *sources, dest = [w for w in words if not w.startswith("--")]
    assert set(flags) <= {"--from", "--chown"}, flags
    origin = named[flags["--from"]] if "--from" in flags else context
    target = image.path(dest)
    for source in sources:
        src = origin / source.lstrip("/")
        assert src.exists(), f"COPY {source}: not in the {'stage' if '--from' in flags else 'build context'}"
        if src.is_dir():
            shutil.copytree(src, target, dirs_exist_ok=True)
        else:
            into = target / src.name if dest.endswith("/") or len(sources) > 1 else target
            into.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, into)
