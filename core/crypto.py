"""Encryption of secrets at rest (access-key secrets) with Fernet from `cryptography`.

Keys come from SUPPORTCENTER_ENCRYPTION_KEYS (newest first, so old keys still decrypt after a
rotation); without it, a key is derived from SECRET_KEY with HKDF. SigV4 verification needs the
plaintext secret, so these secrets are encrypted, not hashed.
"""

from __future__ import annotations

import base64
import functools

from cryptography.fernet import Fernet, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings


def _derived_key(secret_key: str) -> bytes:
    hkdf = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"supportcenter-secrets-at-rest"
    )
    return base64.urlsafe_b64encode(hkdf.derive(secret_key.encode()))


def _fernet() -> MultiFernet:
    return _fernet_for(tuple(settings.ENCRYPTION_KEYS), settings.SECRET_KEY)


@functools.lru_cache(maxsize=8)
def _fernet_for(keys: tuple[str | bytes, ...], secret_key: str) -> MultiFernet:
    # Kept per process and settings: deriving the key and building the ciphers took most of
    # an API page token's encryption (a twentieth of a DescribeCases call).
    return MultiFernet([Fernet(k) for k in keys or [_derived_key(secret_key)]])


def encrypt(plaintext: str) -> str:
    return _fernet().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    return _fernet().decrypt(token.encode()).decode()
