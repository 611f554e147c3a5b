"""scripts/bootstrap.sh on a fresh machine: build tools first, and pip's reason when it fails.

Each test runs the real script in a sandbox: a copy of it and of pyproject.toml, a stand-in
``.venv/bin/python`` that records how it was called and plays pip (no network, no compiler run),
and a PATH holding only the commands the script needs, plus stand-in compilers where a test
wants them. No apt-get is on that PATH, so the script can only ask for what is missing.
"""

from __future__ import annotations

import shutil
import stat
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
COMMANDS = ("bash", "dirname", "id", "grep", "tee", "tail", "touch", "rm", "cat")
PIP_BUILD_FAILURE = """\
Building wheel for llama-cpp-python (pyproject.toml): started
  CMake Error at CMakeLists.txt:3 (project):
    No CMAKE_CXX_COMPILER could be found.
  error: subprocess-exited-with-error
ERROR: Failed building wheel for llama-cpp-python
"""

# The stand-in interpreter: ``-c 'import llama_cpp'`` fails (nothing installed yet), pip prints
# and exits as $FAKE_PIP_STATUS says, and every call is appended to calls.log.
STAND_IN_PYTHON = """\
#!/bin/bash
echo "$*" >> "$(dirname "$0")/../../calls.log"
case "$*" in
  "-m pip install --progress-bar off"*) cat "$(dirname "$0")/../../pip-output.txt"
                                        exit "${FAKE_PIP_STATUS:-0}" ;;
  "-m pip"*) exit 0 ;;
  *"import"*) echo "ModuleNotFoundError: No module named 'llama_cpp'" >&2; exit 1 ;;
esac
"""


@dataclass(frozen=True)
class Bootstrap:
    status: int
    output: str
    calls: list[str]


@pytest.fixture
def sandbox(tmp_path: Path) -> Path:
    (tmp_path / "scripts").mkdir()
    shutil.copy(REPO / "scripts/bootstrap.sh", tmp_path / "scripts/bootstrap.sh")
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    python = tmp_path / ".venv/bin/python"
    python.parent.mkdir(parents=True)
    write_executable(python, STAND_IN_PYTHON)
    (tmp_path / "pip-output.txt").write_text("Successfully installed iterplay\n")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for command in COMMANDS:
        (bin_dir / command).symlink_to(shutil.which(command))
    return tmp_path


def write_executable(path: Path, text: str) -> None:
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


def with_build_tools(sandbox: Path) -> None:
    for tool in ("cc", "c++", "cmake"):
        write_executable(sandbox / "bin" / tool, "#!/bin/bash\nexit 0\n")


def bootstrap(sandbox: Path, **environment: str) -> Bootstrap:
    env = {"PATH": str(sandbox / "bin"), "PYTHON": sys.executable, "HOME": str(sandbox)}
    env.update(environment)
    run = subprocess.run(
        ["bash", str(sandbox / "scripts/bootstrap.sh"), "app"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    calls_log = sandbox / "calls.log"
    calls = calls_log.read_text().splitlines() if calls_log.exists() else []
    return Bootstrap(run.returncode, run.stdout + run.stderr, calls)


def pip_installs(calls: list[str]) -> list[str]:
    return [call for call in calls if call.startswith("-m pip install --progress-bar off")]


def test_missing_compilers_and_cmake_are_named_before_pip_runs(sandbox):
    result = bootstrap(sandbox)

    assert result.status == 1
    assert "needs a C compiler, a C++ compiler, cmake" in result.output
    assert "sudo apt-get install build-essential cmake" in result.output
    assert pip_installs(result.calls) == []


def test_only_cmake_missing_is_named_alone(sandbox):
    with_build_tools(sandbox)
    (sandbox / "bin/cmake").unlink()

    result = bootstrap(sandbox)

    assert result.status == 1
    assert "needs cmake" in result.output and "C compiler" not in result.output


def test_a_failed_pip_install_prints_pips_reason_and_stops(sandbox):
    with_build_tools(sandbox)
    (sandbox / "pip-output.txt").write_text(PIP_BUILD_FAILURE)

    result = bootstrap(sandbox, FAKE_PIP_STATUS="1")

    assert result.status == 1
    assert "pip could not install iterplay's packages" in result.output
    assert "No CMAKE_CXX_COMPILER could be found." in result.output
    assert "ERROR: Failed building wheel for llama-cpp-python" in result.output
    assert "check that a C/C++ compiler and cmake work" in result.output
    assert not [call for call in result.calls if "import iterplay" in call]
    assert not (sandbox / ".venv/.installed-local").exists()


def test_packages_that_do_not_import_after_pip_are_one_sentence(sandbox):
    with_build_tools(sandbox)

    result = bootstrap(sandbox)

    assert result.status == 1
    assert (
        "pip finished, but the installed packages do not import: ModuleNotFoundError: "
        "No module named 'llama_cpp'" in result.output
    )
    assert "Traceback" not in result.output
