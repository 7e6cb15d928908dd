"""Which passages a query may see: the product each passage's item documents.

A ticket of product P is answered only from items of P and items with no product; a query without a
product sees everything. Both indexes take the scope as an `Allowed` predicate over passage numbers
and apply it before their top-N cut, so a scoped query's candidate pool is full of in-scope passages.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable

import numpy as np
import numpy.typing as npt

Allowed = Callable[[npt.NDArray[np.integer]], npt.NDArray[np.bool_]]

_NONE = 0  # the code of "no product"


class ProductScopes:
    """Passage number -> product code, kept in step with the indexes; builds `Allowed` predicates."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._codes: dict[str, int] = {}
        self._of: npt.NDArray[np.int16] = np.zeros(1024, dtype=np.int16)

    def _code(self, product: str | None) -> int:
        if product is None:
            return _NONE
        code = self._codes.get(product)
        if code is None:
            code = self._codes[product] = len(self._codes) + 1
        return code

    def set(self, passages: Iterable[tuple[int, str | None]]) -> None:
        """Record the product of each (passage number, product); a number seen before is overwritten."""
        with self._lock:
            pairs = [(no, self._code(product)) for no, product in passages]
            if not pairs:
                return
            top = max(no for no, _ in pairs)
            if top >= self._of.size:
                grown = np.zeros(max(top + 1, self._of.size * 2), dtype=np.int16)
                grown[: self._of.size] = self._of
                self._of = grown
            nos = np.fromiter((no for no, _ in pairs), dtype=np.int64, count=len(pairs))
            self._of[nos] = np.fromiter((c for _, c in pairs), dtype=np.int16, count=len(pairs))

    def clear(self, passage_nos: Iterable[int]) -> None:
        """Forget passages (their numbers are never given again, so this only keeps the array honest)."""
        with self._lock:
            nos = [no for no in passage_nos if no < self._of.size]
            if nos:
                self._of[np.asarray(nos, dtype=np.int64)] = _NONE

    @property
    def products(self) -> list[str]:
        """The product names seen, in the order first seen."""
        return list(self._codes)

    def allowed(self, product: str | None) -> Allowed | None:
        """The predicate a query for `product` retrieves with (None: no filter, every passage)."""
        if product is None:
            return None
        code = self._codes.get(product, -1)  # a product no item has: only unscoped items are in scope
        of = self._of

        def keep(nos: npt.NDArray[np.integer]) -> npt.NDArray[np.bool_]:
            inside = nos < of.size
            codes = np.where(inside, of[np.where(inside, nos, 0)], _NONE)
            return (codes == _NONE) | (codes == code)

        return keep
