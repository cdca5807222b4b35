"""Resolve what each requirement of the templates pulls in, for the names a project may not take.

    python tools/dependency_closure.py            # write scaffold/dependency_closure.json
    python tools/dependency_closure.py --check    # exit 1 when the file is not what uv says now
    python tools/dependency_closure.py --missing  # exit 1 when a requirement has no entry (offline)

A generated project cannot be named after anything it installs, directly or
not (uv: "shadowed by your project"). The direct requirements are read from
the rendered ``pyproject.toml``; this script finds every requirement the
templates can render (every combination of the options ``pyproject.toml``
reads) and asks ``uv pip compile --universal`` for each one's dependencies on
every platform and supported Python. It needs uv and the package index, so it
runs when the templates' requirements change and before a release
(docs/releasing.md), not when a project is made.
"""

from __future__ import annotations

import argparse
import itertools
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from jinja2 import meta

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from packaging.requirements import Requirement  # noqa: E402
from packaging.utils import canonicalize_name  # noqa: E402

from scaffold import dependencies  # noqa: E402
from scaffold.frameworks import Framework  # noqa: E402
from scaffold.options import load_options  # noqa: E402

OUTPUT = ROOT / "scaffold" / dependencies.CLOSURE_FILE
#: The oldest Python a generated project supports: a universal resolution covers the newer ones.
OLDEST_PYTHON = "3.11"
RESOLVED_LINE = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==")


def variables_read(template: str) -> set[str]:
    """The context variables ``template`` and everything it extends, includes or imports read."""
    environment = dependencies.template_environment()
    if environment.loader is None:
        raise SystemExit("dependency_closure: error: the template environment has no loader")
    seen: set[str] = set()
    found: set[str] = set()
    pending = [template]
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        tree = environment.parse(environment.loader.get_source(environment, name)[0])
        found |= meta.find_undeclared_variables(tree)
        pending.extend(ref for ref in meta.find_referenced_templates(tree) if ref is not None)
    return found


def option_combinations(framework: Framework) -> Iterator[dict[str, object]]:
    """Every combination of the options with fixed choices that the framework's pyproject reads."""
    read = variables_read(f"{framework.value}/pyproject.toml.jinja")
    varied = {
        option.key: (
            [True, False]
            if option.type == "bool"
            else [value for _label, value, _validator in option.choices]
        )
        for option in load_options()
        if option.key in read - {"framework"} and (option.choices or option.type == "bool")
    }
    for values in itertools.product(*varied.values()):
        yield dict(zip(varied, values, strict=True))


def rendered_requirements() -> list[str]:
    """Every requirement some project of some framework lists, sorted."""
    return sorted(
        {
            requirement
            for framework in Framework
            for combination in option_combinations(framework)
            for requirement in dependencies.requirements(framework.value, combination)
        }
    )


def resolve(requirement: str, uv: str) -> list[str]:
    """The PEP 503 names of everything ``requirement`` installs on any platform, itself excepted."""
    result = subprocess.run(
        [uv, "pip", "compile", "--universal", "--python-version", OLDEST_PYTHON, "--quiet",
         "--no-header", "--no-annotate", "-"],
        input=requirement + "\n", capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    if result.returncode != 0:
        reason = (result.stderr.strip().splitlines() or ["no output"])[-1]
        raise SystemExit(f"dependency_closure: error: uv cannot resolve {requirement}: {reason}")
    own = canonicalize_name(Requirement(requirement).name)
    names = {
        canonicalize_name(match[1])
        for line in result.stdout.splitlines()
        if (match := RESOLVED_LINE.match(line.strip()))
    }
    return sorted(names - {own})


def main(argv: list[str]) -> int:
    """Write, check or look for gaps in the resolved dependencies, as the arguments say."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="compare with a fresh resolution")
    mode.add_argument("--missing", action="store_true", help="list requirements with no entry")
    args = parser.parse_args(argv)
    listed = rendered_requirements()
    if args.missing:
        missing = [entry for entry in listed if entry not in dependencies.closure()]
        for entry in missing:
            print(f"no entry for {entry}; run: python tools/dependency_closure.py")
        return 1 if missing else 0
    uv = shutil.which("uv") or str(Path(sys.executable).with_name("uv"))
    table = {entry: resolve(entry, uv) for entry in listed}
    text = json.dumps({"generated_by": "python tools/dependency_closure.py", "requirements": table},
                      indent=2, sort_keys=True) + "\n"  # fmt: skip
    if args.check:
        if OUTPUT.read_text(encoding="utf-8") != text:
            print(f"{OUTPUT.name} is out of date; run: python tools/dependency_closure.py")
            return 1
        return 0
    OUTPUT.write_text(text, encoding="utf-8")
    print(f"wrote {len(table)} requirements to {OUTPUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
