"""Test settings: the production module plus overrides for speed and isolation."""

import atexit
import os
import shutil
import tempfile

os.environ.setdefault("SUPPORTCENTER_SECRET_KEY", "test-secret-key-not-for-production")
# Tests never touch the data directory of `make run`: each test process gets its own.
if os.environ.get("SUPPORTCENTER_TEST_DATA_DIR"):
    os.environ["SUPPORTCENTER_DATA_DIR"] = os.environ["SUPPORTCENTER_TEST_DATA_DIR"]
else:
    _own_data_dir = tempfile.mkdtemp(prefix="supportcenter-test-")
    os.environ["SUPPORTCENTER_DATA_DIR"] = _own_data_dir
    # Every process loading these settings (pytest, manage.py under test settings) made a
    # directory and left it behind; hundreds piled up in /tmp. Forked children share the
    # handler but not the directory's ownership, hence the pid check.
    _owner_pid = os.getpid()

    def _remove_own_data_dir() -> None:
        if os.getpid() == _owner_pid:
            shutil.rmtree(_own_data_dir, ignore_errors=True)

    atexit.register(_remove_own_data_dir)

from .settings import *  # noqa: E402,F403
from .settings import DATA_DIR, STORAGES  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    **STORAGES,
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(DATA_DIR / "media")},
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Celery is not eager: tests call task functions directly, or run a real worker.
CELERY_TASK_ALWAYS_EAGER = False
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405
# Limits are tested on purpose (with overrides), not tripped by accident in other tests.
SUPPORTCENTER_API_RATE_LIMIT = 0
SUPPORTCENTER_CASE_CREATION_LIMIT = 0
SUPPORTCENTER_ATTACHMENT_SET_CREATION_LIMIT = 0
# Webhook tests post to plain-http servers on loopback.
EVENTS_ALLOW_HTTP_WEBHOOKS = True
EVENTS_ALLOW_PRIVATE_WEBHOOKS = False  # the SSRF guard is tested; loopback tests opt in
ADVISOR_SAMPLE_ENABLED = True  # tests connect accounts to moto sample servers
