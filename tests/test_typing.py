"""mypy sees every prompt call: a wrong call of the prompt functions fails type checking."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _mypy(tmp_path: Path, source: str) -> tuple[str, int]:
    api = pytest.importorskip("mypy.api")
    snippet = tmp_path / "snippet.py"
    snippet.write_text(source)
    out, _err, status = api.run(
        [
            "--strict",
            "--cache-dir",
            str(tmp_path / "cache"),
            "--follow-imports=silent",
            str(snippet),
        ]
    )
    return out, status


def test_a_wrong_prompt_call_fails_mypy(tmp_path):
    out, status = _mypy(
        tmp_path,
        "from scaffold import prompts\n\n"
        "prompts.confirm('Go on?')\nprompts.ask('not a question')\n",
    )
    assert status == 1, out
    assert 'Missing named argument "default"' in out
    assert 'Argument 1 to "ask" has incompatible type "str"; expected "Question"' in out


def test_the_wizard_calls_the_prompts_where_mypy_sees_them():
    """No module handed around as a value: the wizard imports the prompt module itself."""
    for path in (ROOT / "scaffold").rglob("*.py"):
        assert "ModuleType" not in path.read_text(encoding="utf-8"), path
    wizard = (ROOT / "scaffold" / "wizard.py").read_text(encoding="utf-8")
    assert "from scaffold import prompts\n" in wizard
