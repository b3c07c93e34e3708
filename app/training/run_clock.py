"""RunClock: the time a run has spent training, not counting pauses."""

import time


class RunClock:
    """Elapsed training time that stands still while paused and after the run ends.

    Args:
        now: The time source in seconds; tests pass a fake one. Defaults to
            `time.monotonic`.
    """

    def __init__(self, now=time.monotonic):
        self._now = now
        self._started = None
        self._paused_at = None  # when the current pause (or the end) began
        self._paused_total = 0.0

    def start(self) -> None:
        self._started, self._paused_at, self._paused_total = self._now(), None, 0.0

    def reset(self) -> None:
        """Back to never started (another project was opened)."""
        self._started, self._paused_at, self._paused_total = None, None, 0.0

    def pause(self) -> None:
        if self._started is not None and self._paused_at is None:
            self._paused_at = self._now()

    def resume(self) -> None:
        if self._paused_at is not None:
            self._paused_total += self._now() - self._paused_at
            self._paused_at = None

    def stop(self) -> None:
        """Freezes the clock at the end of the run (a pause that never resumes)."""
        self.pause()

    @property
    def running(self) -> bool:
        return self._started is not None

    def paused_total(self) -> float:
        """Seconds spent paused so far, including a pause still going on."""
        ongoing = self._now() - self._paused_at if self._paused_at is not None else 0.0
        return self._paused_total + ongoing

    def elapsed(self) -> float:
        """Seconds of training since start(), pauses left out."""
        if self._started is None:
            return 0.0
        return max(0.0, self._now() - self._started - self.paused_total())
