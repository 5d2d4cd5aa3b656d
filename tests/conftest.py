from __future__ import annotations

import os

import pytest
from django.utils import translation

from accounts.principals import Principal
from accounts.services import managed_policies_load
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


@pytest.fixture(autouse=True)
def _fresh_language():
    """Each test starts in the default language: the test client runs requests in this thread,
    and a request's language (Accept-Language: ja) would otherwise stay active for later tests."""
    yield
    translation.deactivate()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Load the reference data once; each test's transaction rolls back on top of it."""
    with django_db_blocker.unblock():
        reference_data_load()
        managed_policies_load()


@pytest.fixture
def reference_data(db):
    # Transactional tests flush the tables; put the reference data back when that happened.
    from catalog.models import SupportPlan

    if not SupportPlan.objects.exists():
        reference_data_load()
        managed_policies_load()


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


@pytest.fixture(scope="session")
def moto_server_url():
    """One in-process moto server for the run (moto's state is per process anyway)."""
    os.environ.setdefault("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
    from connections.sample import start_server

    server, url = start_server()
    yield url
    server.stop()


@pytest.fixture
def aws(moto_server_url, settings):
    """A clean moto account that key connections (tests.moto_aws.connect_keys) reach."""
    import requests

    from tests.moto_aws import MotoAccount

    requests.post(f"{moto_server_url}/moto-api/reset", timeout=10).raise_for_status()
    settings.ADVISOR_AWS_ENDPOINT_URL = moto_server_url
    return MotoAccount(moto_server_url)
