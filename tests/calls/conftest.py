"""The calls' Teams meetings are created against the local fake of Entra ID and Graph."""

from tests.auth.conftest import fake_entra, fake_entra_server

__all__ = ["fake_entra", "fake_entra_server"]
