"""Alembic's environment under Flask-Migrate: the app's engine and models.

``flask db`` commands run this inside the application context, so the
database is the one the app is configured with (DATABASE_URL), and the log
lines have the application's format (``create_app`` configured logging).
"""

from collections.abc import Iterable

from alembic import context
from alembic.operations import MigrationScript
from alembic.runtime.migration import MigrationContext
from flask import current_app

config = context.config
migrate = current_app.extensions["migrate"]


def skip_empty_revisions(
    _context: MigrationContext,
    _revision: str | Iterable[str | None] | Iterable[str],
    directives: list[MigrationScript],
) -> None:
    """Write no file when ``flask db migrate`` finds no change in the models."""
    autogenerate = getattr(config.cmd_opts, "autogenerate", False)
    if autogenerate and all(ops.is_empty() for ops in directives[0].upgrade_ops_list):
        directives[:] = []


def run_migrations_offline() -> None:
    """Print the SQL instead of running it (``flask db upgrade --sql``)."""
    context.configure(
        url=migrate.db.engine.url,
        target_metadata=migrate.db.metadata,
        literal_binds=True,
        **migrate.configure_args,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Apply the migrations over a connection of the application's engine."""
    with migrate.db.engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=migrate.db.metadata,
            process_revision_directives=skip_empty_revisions,
            **migrate.configure_args,
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
