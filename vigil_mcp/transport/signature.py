"""Webhook signatures: HMAC-SHA256 of "<timestamp>.<raw body>" with a shared secret, fresh within 5 minutes.

A sender signs each delivery with

    X-Vigil-Timestamp: <unix seconds>
    X-Vigil-Signature: sha256=<hex HMAC-SHA256(secret, f"{timestamp}.".encode() + body)>

The timestamp is inside the signed bytes, so a captured delivery cannot be replayed after the window.
"""

from __future__ import annotations

import hashlib
import hmac
import time

TIMESTAMP_HEADER = "X-Vigil-Timestamp"
SIGNATURE_HEADER = "X-Vigil-Signature"
MAX_SKEW_SECONDS = 300


class SignatureError(Exception):
    """A delivery whose signature is missing, stale or wrong; the message says which and how to fix it."""


def sign(secret: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    """The two headers that sign `body` (for senders and tests)."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest()
    return {TIMESTAMP_HEADER: ts, SIGNATURE_HEADER: f"sha256={digest}"}


def check_signature(
    secret: str, timestamp: str | None, signature: str | None, body: bytes, now: float | None = None
) -> None:
    """Return if the headers sign `body` within the window; raise SignatureError otherwise."""
    if not timestamp or not signature:
        raise SignatureError(
            f"this webhook needs signed deliveries: send {TIMESTAMP_HEADER} (unix seconds) and "
            f'{SIGNATURE_HEADER}: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>" with the shared secret>'
        )
    if not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 12:
        raise SignatureError(f"{TIMESTAMP_HEADER} must be whole unix seconds")
    skew = (time.time() if now is None else now) - int(timestamp)
    if abs(skew) > MAX_SKEW_SECONDS:
        when = "old" if skew > 0 else "in the future"
        raise SignatureError(
            f"{TIMESTAMP_HEADER} is {abs(int(skew))} s {when}; deliveries must be signed within "
            f"{MAX_SKEW_SECONDS} s of the server's clock (a replay, or a sender whose clock is off)"
        )
    expected = sign(secret, body, int(timestamp))[SIGNATURE_HEADER]
    if not hmac.compare_digest(signature.strip().encode("utf-8", "replace"), expected.encode()):
        raise SignatureError(
            f"{SIGNATURE_HEADER} does not match the body: check the shared secret and sign the raw bytes"
        )
