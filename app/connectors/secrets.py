"""Credentials at rest: Fernet (AES-128-CBC + HMAC-SHA256) with keys from SUMMIT_SECRETS_KEY.

The first key encrypts; every key decrypts, so a key is rotated by putting the new one first
and re-saving the connectors. Outside production, without a key, a key derived from
SECRET_KEY stands in (and the log says so); production refuses to store a secret without one.
"""

from __future__ import annotations

import base64
import hashlib
import logging

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from app.settings import Settings

log = logging.getLogger(__name__)


class SecretsUnavailable(RuntimeError):
    """No key to encrypt or decrypt with, or the stored value does not decrypt."""


def _fernet(settings: Settings) -> MultiFernet:
    keys = list(settings.secrets_key)
    if not keys:
        if settings.is_production:
            raise SecretsUnavailable(
                "SUMMIT_SECRETS_KEY is not set: Summit does not store credentials in production "
                "without it. Set it to a Fernet key (see the README's settings table)."
            )
        log.warning("SUMMIT_SECRETS_KEY is not set: credentials are encrypted with SECRET_KEY")
        digest = hashlib.sha256(b"summit-secrets:" + settings.secret_key.encode()).digest()
        keys = [base64.urlsafe_b64encode(digest).decode()]
    return MultiFernet([Fernet(key.encode()) for key in keys])


def encrypt(settings: Settings, plaintext: str) -> str:
    """The ciphertext of ``plaintext`` under the current key."""
    return _fernet(settings).encrypt(plaintext.encode()).decode()


def decrypt(settings: Settings, ciphertext: str) -> str:
    """The plaintext of a stored secret; SecretsUnavailable when no key opens it."""
    try:
        return _fernet(settings).decrypt(ciphertext.encode()).decode()
    except InvalidToken as exc:
        raise SecretsUnavailable(
            "the stored credentials cannot be decrypted with SUMMIT_SECRETS_KEY: "
            "was the key changed? Enter the secret again."
        ) from exc
