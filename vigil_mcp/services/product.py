"""Product names: which product or queue a knowledge item documents and a ticket belongs to.

An item without a product applies to every ticket; a ticket without one sees every item. A name is
a short lower-case word (letters, digits, `-`, `_`), so it is the same in a CLI flag, a tool argument,
a webhook field and a dialogue's `source`.
"""

from __future__ import annotations

import re

from vigil_mcp.errors import InputError

MAX_PRODUCT_CHARS = 32
_PRODUCT = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


def valid_product(product: str | None) -> str | None:
    """The normalised product name (None or blank: no product), or InputError saying what to use."""
    if product is None:
        return None
    name = product.strip().lower()
    if not name:
        return None
    if len(name) > MAX_PRODUCT_CHARS or not _PRODUCT.match(name):
        raise InputError(
            f"product {product[:40]!r} is not valid: use 1-{MAX_PRODUCT_CHARS} letters, digits, '-' or '_', "
            "starting with a letter or digit, such as stripe or ubuntu"
        )
    return name
