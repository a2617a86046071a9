"""All SQL of identity, one store per aggregate (``OtpStore``, ``AuthStore``, ``VidStore``,
``TokenStore``), and the auth key file in the data dir (``keyfile``). Residents are read through
the platform's ``sandbox.world.store.PopulationStore``."""

from identity.store.auth import AuthStore
from identity.store.otp import OtpStore
from identity.store.vids import TokenStore, VidStore

__all__ = ["AuthStore", "OtpStore", "TokenStore", "VidStore"]
