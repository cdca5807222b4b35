"""The migrations build the schema from an empty database and match the models."""

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor


@pytest.mark.django_db
def test_every_model_change_has_a_migration() -> None:
    # Exits with status 1 when a model differs from what its migrations build.
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def test_users_are_the_projects_own_model() -> None:
    assert get_user_model() is apps.get_model("accounts", "User")


@pytest.mark.django_db(transaction=True)
def test_migrations_reverse_to_nothing_and_apply_again() -> None:
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()

    executor.migrate([(app, None) for app, _name in latest])
    assert set(connection.introspection.table_names()) == {"django_migrations"}

    executor.loader.build_graph()
    executor.migrate(latest)
    tables = set(connection.introspection.table_names())
    assert {model._meta.db_table for model in apps.get_models()} <= tables
