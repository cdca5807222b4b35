"""The templates' framework tables are written from ``scaffold/frameworks.py``; drift fails here.

copier.yml and ``_shared/macros.jinja`` cannot import Python, so the few places
where they name frameworks (the choices, the description's default, the
options a framework rules in or out, the label, the log-in limits, the
migration command, the hosts variable, the development database) sit between ``framework-facts``
markers and are written from :data:`scaffold.frameworks.FRAMEWORKS`. Adding a
framework is a template folder, one entry there, and then:

    python tests/test_framework_facts.py
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COPIER_YML = ROOT / "templates" / "copier.yml"
MACROS = ROOT / "templates" / "_shared" / "macros.jinja"


def _infos():  # imported late: the module also runs as a script from a checkout
    from scaffold.frameworks import FRAMEWORKS

    return list(FRAMEWORKS.values())


def _jinja_text(template: str) -> str:
    """A Jinja expression for ``template``, with ``{package}`` standing for the package name."""
    parts = [repr(part) for part in template.split("{package}")]
    return " ~ package_name ~ ".join(part for part in parts if part != "''") or "''"


def _table(values: dict[str, str]) -> str:
    """A Jinja mapping of framework to expression, looked up with the current framework."""
    items = ", ".join(f"'{key}': {value}" for key, value in values.items())
    return f"{{{{ {{{items}}}[framework] }}}}"


def _names(select: Callable[[object], bool]) -> str:
    return repr([info.framework.value for info in _infos() if select(info)])


def framework_choices() -> str:
    return "\n".join(f"    {info.label}: {info.framework.value}" for info in _infos())


def description_default() -> str:
    labels = _table({info.framework.value: repr(info.label) for info in _infos()})
    return f'  default: "A {labels} web application"'


def database_none_rule() -> str:
    (reason,) = {info.needs_database for info in _infos() if info.needs_database}
    needing = _names(lambda info: bool(info.needs_database))
    return f'      validator: "{{% if framework in {needing} %}}{reason}{{% endif %}}"'


def auth_condition() -> str:
    own = _names(lambda info: info.builtin_accounts)
    return f"  when: \"{{{{ framework not in {own} and database != 'none' }}}}\""


def _macro(name: str, values: dict[str, str]) -> str:
    return f"{{%- macro {name}() -%}}\n{_table(values)}\n{{%- endmacro -%}}"


def framework_label() -> str:
    return _macro("framework_label", {i.framework.value: repr(i.label) for i in _infos()})


def migrate_command() -> str:
    commands = {i.framework.value: _jinja_text(i.migrate_command) for i in _infos()}
    return _macro("migrate_command", commands)


def limits_log_ins() -> str:
    own = _names(lambda info: info.builtin_accounts)
    expression = f"{{{{ 'yes' if framework in {own} or auth else '' }}}}"
    return f"{{%- macro limits_log_ins() -%}}\n{expression}\n{{%- endmacro -%}}"


def ready_checks_redis() -> str:
    own = _names(lambda info: info.builtin_accounts or info.ready_checks_redis)
    expression = f"{{{{ 'yes' if framework in {own} or auth else '' }}}}"
    return f"{{%- macro ready_checks_redis() -%}}\n{expression}\n{{%- endmacro -%}}"


def hosts_variable() -> str:
    return _macro("hosts_variable", {i.framework.value: repr(i.hosts_variable) for i in _infos()})


def dev_sqlite_url() -> str:
    urls = {i.framework.value: _jinja_text(i.development_env["DATABASE_URL"]) for i in _infos()}
    return _macro("dev_sqlite_url", urls)


#: Each generated block: the file, its marker name, and what writes it.
BLOCKS: dict[tuple[Path, str], Callable[[], str]] = {
    (COPIER_YML, "choices"): framework_choices,
    (COPIER_YML, "description"): description_default,
    (COPIER_YML, "database-none"): database_none_rule,
    (COPIER_YML, "auth"): auth_condition,
    (MACROS, "label"): framework_label,
    (MACROS, "migrate"): migrate_command,
    (MACROS, "hosts"): hosts_variable,
    (MACROS, "log-in-limits"): limits_log_ins,
    (MACROS, "ready-redis"): ready_checks_redis,
    (MACROS, "dev-sqlite"): dev_sqlite_url,
}


def _pattern(path: Path, name: str) -> re.Pattern[str]:
    if path.suffix == ".yml":
        start, end = (
            rf"[ ]*# framework-facts:{name}:start\n",
            rf"\n[ ]*# framework-facts:{name}:end",
        )
    else:
        start, end = (
            rf"{{#- framework-facts:{name}:start -#}}\n",
            rf"\n{{#- framework-facts:{name}:end -#}}",
        )
    return re.compile(f"({start})(.*?)({end})", re.DOTALL)


def _current(path: Path, name: str) -> str:
    match = _pattern(path, name).search(path.read_text(encoding="utf-8"))
    assert match, f"{path.name} lacks the framework-facts:{name} markers"
    return match.group(2)


def test_the_template_tables_are_the_ones_frameworks_py_gives():
    for (path, name), generate in BLOCKS.items():
        assert _current(path, name) == generate(), (
            f"{path.name}: framework-facts:{name} is out of date; "
            "run: python tests/test_framework_facts.py"
        )


def test_every_framework_has_its_template_folder_and_nothing_else_does():
    from scaffold.frameworks import Framework

    folders = {path.name for path in (ROOT / "templates").iterdir() if path.is_dir()}
    assert folders - {"_shared"} == {framework.value for framework in Framework}


def test_no_other_template_file_names_a_framework_in_its_logic():
    """Framework names appear in template logic only inside the generated blocks."""
    logic = re.compile(r"framework\s*(==|!=|in)\s*|\[framework\]")
    for path in [COPIER_YML, *(ROOT / "templates").rglob("*.jinja")]:
        text = path.read_text(encoding="utf-8")
        for (block_path, name), _generate in BLOCKS.items():
            if block_path == path:
                text = _pattern(path, name).sub("", text)
        found = [line for line in text.splitlines() if logic.search(line)]
        folder = path.relative_to(ROOT / "templates").parts[0]
        if folder in {info.framework.value for info in _infos()}:
            continue  # a framework's own folder may speak of itself
        assert not found, f"{path}: framework logic outside the generated tables: {found}"


def update() -> None:
    """Rewrite every generated block from ``scaffold/frameworks.py``."""
    for (path, name), generate in BLOCKS.items():
        text, block = path.read_text(encoding="utf-8"), generate()
        text = _pattern(path, name).sub(lambda m, b=block: m.group(1) + b + m.group(3), text)
        path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    update()
