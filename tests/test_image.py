"""The image the manifests name: the Dockerfile's steps refer to what the repository has,
install exactly the locked dependencies, run as the user Kubernetes expects, and ship every
file the application reads. (`.ci/run` also lints it with hadolint and runs its locked
install; no Docker engine runs on CI machines, so the image itself is built by the release.)"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from web.site.assets import PACKAGES as SITE_PACKAGES

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")
LOCK = (ROOT / "requirements.lock").read_text(encoding="utf-8")
PACKAGES_DIRS = ("domain", "schema", "resolvers", "workers", "web")


def instructions(name: str) -> list[str]:
    joined = DOCKERFILE.replace("\\\n", " ")
    return [line.split(None, 1)[1] for line in joined.splitlines() if line.startswith(name + " ")]


def test_every_copied_path_exists_and_reaches_the_build_context() -> None:
    admitted = {
        line[1:].rstrip("/")
        for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.startswith("!")
    }
    for copy in instructions("COPY"):
        if copy.startswith("--from="):
            continue
        *sources, _destination = copy.split()
        for source in sources:
            assert (ROOT / source).exists(), source
            assert source.rstrip("/") in admitted, f"{source} is excluded by .dockerignore"


def test_the_site_assets_come_from_the_same_npm_packages_as_in_dev() -> None:
    (npm,) = [run for run in instructions("RUN") if run.startswith("npm install")]

    assert set(SITE_PACKAGES) <= set(npm.split())


def test_the_image_runs_as_the_non_root_user_the_pods_require() -> None:
    assert instructions("USER")[-1] == "10001:10001"
    deployment = (ROOT / "k8s" / "base" / "api-deployment.yaml").read_text(encoding="utf-8")
    assert "runAsUser: 10001" in deployment


def _pins(lock: str) -> dict[str, str]:
    pins = re.findall(r"^([A-Za-z0-9_.\-]+)==(\S+) \\$", lock, flags=re.MULTILINE)
    return {canonicalize_name(name): version for name, version in pins}


@pytest.mark.parametrize(
    ("lock_file", "extras"),
    [("requirements.lock", ()), ("requirements-test.lock", ("test",))],
)
def test_each_lock_pins_every_dependency_with_hashes(
    lock_file: str, extras: tuple[str, ...]
) -> None:
    """requirements.lock is what the image installs, requirements-test.lock what the README's
    test command installs: both are pip-compile's output for pyproject.toml (the second with
    the test extra), every pin with its hashes."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    lock = (ROOT / lock_file).read_text(encoding="utf-8")
    locked = _pins(lock)
    wanted = list(project["dependencies"])
    for extra in extras:
        wanted += project["optional-dependencies"][extra]

    for dependency in wanted:
        requirement = Requirement(dependency)
        name = canonicalize_name(requirement.name)
        assert name in locked, f"{name} is not in {lock_file} (re-run pip-compile)"
        assert requirement.specifier.contains(locked[name]), f"{name}=={locked[name]}"
    blocks = re.split(r"\n(?=[A-Za-z0-9])", lock.split("\n\n", 1)[-1].strip())
    assert all("--hash=sha256:" in block for block in blocks if "==" in block)


def test_the_tests_run_on_the_versions_the_image_ships() -> None:
    image, tests = _pins(LOCK), _pins((ROOT / "requirements-test.lock").read_text("utf-8"))

    assert {name: tests.get(name) for name in image} == image


def test_the_readme_installs_from_the_locks() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    install = ".venv/bin/pip install --require-hashes -r {} && .venv/bin/pip install --no-deps -e ."

    assert install.format("requirements.lock") + " && .venv/bin/stakehouse dev" in readme
    test_command = install.format("requirements-test.lock") + " && .venv/bin/pytest"
    assert test_command in readme
    assert f"python3 -m venv .venv && {test_command}\n" in ci


def test_the_installed_package_ships_every_file_the_application_reads(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=300,
    )  # fmt: skip
    (wheel,) = tmp_path.glob("*.whl")
    shipped = set(zipfile.ZipFile(wheel).namelist())
    tracked = subprocess.run(
        ["git", "ls-files", *PACKAGES_DIRS], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()

    assert tracked
    assert [path for path in tracked if path not in shipped] == []
