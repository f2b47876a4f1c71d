"""The README's examples run as written: each code block after an `<!-- example: NAME -->` marker is a file
a partner would copy. Python examples run under pytest in a subprocess with only cosell installed; the
JavaScript one under `node --test` with the AWS SDK from npm, against a live server; the CI job's `run:`
steps in order, in bash (its setup actions and its `pip install` are the environment these tests already
have; its port is a free one instead of 4588)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import LiveServer, free_port

pytest_plugins = ["pytester"]

README = Path(__file__).resolve().parent.parent / "README.md"
_EXAMPLE = re.compile(r"<!-- example: (?P<name>[\w.-]+) -->\n```\w+\n(?P<code>.*?)\n```", re.DOTALL)
PYTHON_EXAMPLES = ("test_with_a_server.py", "test_in_process.py")
needs_node = pytest.mark.skipif(shutil.which("npm") is None or shutil.which("node") is None,
                                reason="Node.js and npm run the JavaScript example (.ci/run installs them)")


def examples() -> dict[str, str]:
    return {match["name"]: match["code"] for match in _EXAMPLE.finditer(README.read_text(encoding="utf-8"))}


def test_the_readme_has_its_examples():
    assert {*PYTHON_EXAMPLES, "partner-sync.test.mjs", "ci.yml"} <= set(examples())


def _tests_in(code: str) -> int:
    return len(re.findall(r"^def test_", code, re.MULTILINE))


@pytest.mark.parametrize("name", PYTHON_EXAMPLES)
def test_a_python_example_passes(pytester: pytest.Pytester, name: str):
    code = examples()[name]
    pytester.makepyfile(**{name.removesuffix(".py"): code})
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q")
    result.assert_outcomes(passed=_tests_in(code))


def _npm_install(directory: Path) -> None:
    subprocess.run(["npm", "init", "-y"], cwd=directory, check=True, capture_output=True, timeout=120)
    subprocess.run(["npm", "install", "--no-audit", "--no-fund", "@aws-sdk/client-partnercentral-selling@^3"],
                   cwd=directory, check=True, capture_output=True, timeout=600)


@needs_node
def test_the_javascript_example_passes(tmp_path: Path):
    (tmp_path / "partner-sync.test.mjs").write_text(examples()["partner-sync.test.mjs"])
    _npm_install(tmp_path)
    live = LiveServer(tmp_path / "data").start()
    try:
        result = subprocess.run(["node", "--test"], cwd=tmp_path, capture_output=True, text=True, timeout=300,
                                env={**os.environ, "COSELL_ENDPOINT": live.url})
    finally:
        live.stop()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "# pass 2" in result.stdout and "# fail 0" in result.stdout


def _run_steps(workflow: str) -> list[str]:
    """The job's `run:` commands, in order."""
    return [line.split("- run: ", 1)[1] for line in workflow.splitlines() if line.strip().startswith("- run: ")]


@needs_node
def test_the_ci_job_runs(tmp_path: Path):
    port = free_port()
    steps = [step.replace("4588", str(port)) for step in _run_steps(examples()["ci.yml"])
             if not step.startswith("pip install")]
    assert any(step.startswith("pytest") for step in steps) and any("node --test" in step for step in steps)
    (tmp_path / "tests").mkdir()
    for name in PYTHON_EXAMPLES:
        (tmp_path / "tests" / name).write_text(examples()[name])
    (tmp_path / "partner-sync.test.mjs").write_text(examples()["partner-sync.test.mjs"])
    runner = tmp_path / "runner"
    runner.mkdir()
    script = "set -euo pipefail\n" + "\n".join(steps) + "\n"
    environment = {**os.environ, "RUNNER_TEMP": str(runner), "COSELL_PORT": str(port),
                   "COSELL_ENDPOINT_URL": f"http://127.0.0.1:{port}", "COSELL_ENDPOINT": f"http://127.0.0.1:{port}",
                   "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    try:
        result = subprocess.run(["bash", "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=900,
                                env=environment)
    finally:
        subprocess.run(["pkill", "-f", f"cosell serve --data {runner}/cosell"], check=False)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "# fail 0" in result.stdout
