"""Bearer tokens for Streamable HTTP: a static token verifier and the resource-server settings.

A token's scopes are its roles (server/roles.py): an analyst token carries both scopes. stdio and
in-memory connections carry no token and are not checked: whoever can start the process already
owns its store.
"""

from __future__ import annotations

import hashlib
import hmac

from mcp.server.auth.provider import AccessToken
from mcp.server.auth.settings import AuthSettings

from vigil_mcp.server.roles import READER, SCOPES


class StaticTokenVerifier:
    """Accepts the configured tokens; every candidate is compared in constant time."""

    def __init__(self, tokens: tuple[tuple[str, str], ...]) -> None:
        self._tokens = [(role, token.encode()) for role, token in tokens]

    async def verify_token(self, token: str) -> AccessToken | None:
        """The access token for `token`, or None when no configured token matches."""
        given = token.encode("utf-8", "replace")
        match: str | None = None
        # No early exit: the time taken does not tell which entry (or how much of one) matched.
        for role, expected in self._tokens:
            if hmac.compare_digest(given, expected) and match is None:
                match = role
        if match is None:
            return None
        # The client id names the role and a short digest, so logs can tell tokens apart without holding them.
        client_id = f"{match}-{hashlib.sha256(given).hexdigest()[:8]}"
        return AccessToken(token=token, client_id=client_id, scopes=SCOPES[match])


def auth_settings(base_url: str) -> AuthSettings:
    """Resource-server settings: this server is its own issuer; every request needs at least `reader`."""
    return AuthSettings(
        issuer_url=base_url,  # pyright: ignore[reportArgumentType]
        resource_server_url=f"{base_url}/mcp",  # pyright: ignore[reportArgumentType]
        required_scopes=[READER],
        validate_token_resource=False,  # static tokens are not bound to a resource
    )
