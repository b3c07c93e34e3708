"""Growing NumPy buffers for live curves (capacity doubles when full) and EMA smoothing."""

import numpy as np


class Series:
    """x/y points appended one at a time; `view()` gives the filled part without copying."""

    def __init__(self, capacity: int = 256):
        self.x = np.empty(capacity, dtype=np.float64)
        self.y = np.empty(capacity, dtype=np.float64)
        self.n = 0

    def append(self, x: float, y: float) -> None:
        if self.n == len(self.x):
            self.x = np.resize(self.x, 2 * len(self.x))
            self.y = np.resize(self.y, 2 * len(self.y))
        self.x[self.n] = x
        self.y[self.n] = y
        self.n += 1

    def view(self):
        return self.x[:self.n], self.y[:self.n]

    def clear(self) -> None:
        self.n = 0

    def __len__(self) -> int:
        return self.n


class SmoothedSeries(Series):
    """A Series that also keeps its exponential moving average (TensorBoard-style, debiased)."""

    def __init__(self, capacity: int = 256, weight: float = 0.6):
        super().__init__(capacity)
        self.smooth = np.empty(capacity, dtype=np.float64)
        self.weight = weight
        self._last = 0.0
        self._count = 0

    def append(self, x: float, y: float) -> None:
        super().append(x, y)
        if len(self.smooth) < len(self.x):
            self.smooth = np.resize(self.smooth, len(self.x))
        self.smooth[self.n - 1] = self._next(y)

    def _next(self, y: float) -> float:
        if not np.isfinite(y):
            return y
        self._count += 1
        self._last = self._last * self.weight + (1 - self.weight) * y
        return self._last / (1 - self.weight ** self._count)

    def set_weight(self, weight: float) -> None:
        """Changes the smoothing and recomputes the average over every point."""
        self.weight = float(weight)
        self._last, self._count = 0.0, 0
        for i in range(self.n):
            self.smooth[i] = self._next(self.y[i])

    def smooth_view(self):
        return self.x[:self.n], self.smooth[:self.n]

    def clear(self) -> None:
        super().clear()
        self._last, self._count = 0.0, 0
