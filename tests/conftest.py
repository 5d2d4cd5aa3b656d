from __future__ import annotations

import pytest

from accounts.principals import Principal
from catalog.services import reference_data_load
from tests import factories


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    """Every test writes attachment files into its own directory (Django's setting_changed
    handler resets the storage objects)."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Load the reference data once; each test's transaction rolls back on top of it."""
    with django_db_blocker.unblock():
        reference_data_load()


@pytest.fixture
def reference_data(db):
    # Transactional tests flush the tables; put the reference data back when that happened.
    from accounts.models import SupportPlan

    if not SupportPlan.objects.exists():
        reference_data_load()


@pytest.fixture
def business_account(reference_data):
    return factories.make_account("business")


@pytest.fixture
def other_account(reference_data):
    return factories.make_account("business")


@pytest.fixture
def root(business_account) -> Principal:
    return factories.principal(factories.root_of(business_account))


@pytest.fixture
def engineer(reference_data) -> Principal:
    return factories.principal(factories.make_engineer())
