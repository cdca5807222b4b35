"""Alembic's environment under Flask-Migrate: the app's engine and models.

``flask db`` commands run this inside the application context, so the
database is the one the app is configured with (DATABASE_URL).
"""

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app

config = context.config
# Log progress on the command line; inside a program that configured logging
# (the tests, for one), leave its configuration alone.
if config.config_file_name is not None and not logging.getLogger().handlers:
    fileConfig(config.config_file_name, disable_existing_loggers=False)

migrate = current_app.extensions["migrate"]


def skip_empty_revisions(_context, _revision, directives) -> None:
    """Write no file when ``flask db migrate`` finds no change in the models."""
    autogenerate = getattr(config.cmd_opts, "autogenerate", False)
    if autogenerate and directives[0].upgrade_ops.is_empty():
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
