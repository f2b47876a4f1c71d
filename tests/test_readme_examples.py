"""The README's examples run as written: each code block after an `<!-- example: NAME -->` marker is a test
file a partner would copy, run here by pytest in a subprocess with only cosell installed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

README = Path(__file__).resolve().parent.parent / "README.md"
_EXAMPLE = re.compile(r"<!-- example: (?P<name>[\w.]+) -->\n```python\n(?P<code>.*?)\n```", re.DOTALL)


def examples() -> dict[str, str]:
    return {match["name"]: match["code"] for match in _EXAMPLE.finditer(README.read_text(encoding="utf-8"))}


def test_the_readme_has_its_examples():
    assert {"test_with_a_server.py", "test_in_process.py"} <= set(examples())


@pytest.mark.parametrize("name", sorted(examples()))
def test_an_example_passes(pytester: pytest.Pytester, name: str):
    code = examples()[name]
    pytester.makepyfile(**{name.removesuffix(".py"): code})
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q")
    result.assert_outcomes(passed=len(re.findall(r"^def test_", code, re.MULTILINE)))
