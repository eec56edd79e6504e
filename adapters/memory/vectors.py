"""A growable matrix of unit vectors for exact cosine search in process."""

from __future__ import annotations

import bisect
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

Matrix = npt.NDArray[np.float64]


def unit(vector: Sequence[float]) -> Matrix:
    """The vector scaled to length 1 (a zero vector stays zero: it matches nothing)."""
    v = np.asarray(vector, dtype=np.float64)
    norm = float(np.linalg.norm(v))
    return v / norm if norm > 0 else v


class VectorLog:
    """Unit vectors appended in version order, with their versions and eligibility.

    Rows only ever append (versions ascend), so "the rows after version v" is a bisect.
    Capacity doubles so appends stay amortised O(dimension).
    """

    def __init__(self) -> None:
        self._rows: Matrix | None = None
        self._size = 0
        self.versions: list[int] = []
        self.eligible: list[bool] = []

    def __len__(self) -> int:
        return self._size

    def add(self, version: int, vector: Sequence[float], *, eligible: bool) -> None:
        """Append one entry's vector."""
        row = unit(vector)
        if self._rows is None:
            self._rows = np.zeros((16, row.shape[0]), dtype=np.float64)
        elif self._size == self._rows.shape[0]:
            grown = np.zeros((self._size * 2, self._rows.shape[1]), dtype=np.float64)
            grown[: self._size] = self._rows
            self._rows = grown
        if row.shape[0] != self._rows.shape[1]:
            # One dimension per deployment; a stray vector cannot be compared, so it is skipped.
            return
        self._rows[self._size] = row
        self._size += 1
        self.versions.append(version)
        self.eligible.append(eligible)

    def similarities(self, query: Matrix, start: int = 0) -> Matrix:
        """Cosine similarity of the (unit) query to rows start..end."""
        if self._rows is None or self._size <= start or query.shape[0] != self._rows.shape[1]:
            return np.zeros(0, dtype=np.float64)
        scores: Matrix = self._rows[start : self._size] @ query
        return scores

    def copy_through(self, version: int) -> VectorLog:
        """A new log holding the rows with version <= `version` (for a fork)."""
        out = VectorLog()
        if self._rows is None:
            return out
        end = bisect.bisect_right(self.versions, version)
        out._rows = self._rows[: max(end, 16)].copy()
        out._size = end
        out.versions = self.versions[:end]
        out.eligible = self.eligible[:end]
        return out
