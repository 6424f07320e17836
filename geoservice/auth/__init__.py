"""API keys and roles (no FastAPI here): who may upload, edit and administer."""

from geoservice.auth.keys import ROLES, KeyStore, Principal

__all__ = ["ROLES", "KeyStore", "Principal"]
