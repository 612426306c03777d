"""Peak resident memory of the running process, measurable per stage.

The operator sizes the machine by the stage that needs the most memory, so the
run report gives each stage's own peak. On Linux the kernel keeps the peak
(``VmHWM`` in ``/proc/self/status``) and lets a process reset it to the current
resident size by writing ``5`` to ``/proc/self/clear_refs``; a stage resets it
when it starts and reads it when it ends. Elsewhere the lifetime peak of
``getrusage`` is the best there is (an upper bound of the stage's own peak).

The reset also resets what ``getrusage``/``wait4`` and ``/usr/bin/time`` report
as the process's maximum resident size: after a run, they show the peak since
the last stage started. The run's own peak is the largest stage peak, which the
run report gives as ``peak_rss_mb``.
"""

from __future__ import annotations

import resource
import sys
from pathlib import Path

_STATUS = Path("/proc/self/status")
_CLEAR_REFS = Path("/proc/self/clear_refs")


def reset_peak() -> bool:
    """Start a new peak at the current resident size; False when the platform cannot."""
    try:
        _CLEAR_REFS.write_text("5")
    except OSError:
        return False
    return True


def peak_rss_mb() -> float:
    """The peak resident memory since the last :func:`reset_peak` (or since start), in MiB."""
    try:
        for line in _STATUS.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # ru_maxrss is KiB on Linux, bytes on macOS.
    return round(peak / (1024 * 1024 if sys.platform == "darwin" else 1024), 1)
