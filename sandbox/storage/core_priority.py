"""A background thread that yields the core: Linux's ``SCHED_IDLE`` scheduling class.

A thread in ``SCHED_IDLE`` runs only when its core has nothing else to run, and a waking thread
of the normal class takes the core from it at once (sched(7)). The SQLite checkpointer's
per-second copies run so beside the writer: they take the core's gaps instead of time slices
from the event loop and the commit thread (decisions doc, "The checkpointer at SCHED_IDLE").

An unprivileged thread may enter ``SCHED_IDLE`` but not leave it (leaving needs
``CAP_SYS_NICE`` or an ``RLIMIT_NICE`` of 20: sched(7)). The checkpointer must leave it for the
copies that bound the WAL, so a process that may not leave it does not enter it either: the
thread keeps the normal class, as before.
"""

from __future__ import annotations

import functools
import logging
import os
import threading

log = logging.getLogger("sandbox.storage")


@functools.cache
def idle_class_available() -> bool:
    """Whether a thread of this process can enter ``SCHED_IDLE`` and leave it again; tried once,
    on a throwaway thread."""
    if not hasattr(os, "SCHED_IDLE") or not hasattr(os, "sched_setscheduler"):
        return False
    result: list[bool] = []

    def probe() -> None:
        try:
            os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
            os.sched_setscheduler(0, os.SCHED_OTHER, os.sched_param(0))
        except OSError:
            result.append(False)
        else:
            result.append(True)

    thread = threading.Thread(target=probe, name="sched-idle-probe")
    thread.start()
    thread.join()
    if not result[0]:
        log.info(
            "the WAL checkpointer keeps the normal CPU class: this process may not leave "
            "SCHED_IDLE (needs CAP_SYS_NICE or RLIMIT_NICE 20)"
        )
    return result[0]


class CorePriority:
    """The calling thread's class: ``idle(True)`` for ``SCHED_IDLE``, ``idle(False)`` for the
    normal one. Does nothing where the idle class is not available (``idle_class_available``),
    and makes a system call only when the class changes. Use it from one thread only."""

    def __init__(self) -> None:
        self.enabled = idle_class_available()
        self.is_idle = False

    def idle(self, idle: bool) -> None:
        if not self.enabled or idle == self.is_idle:
            return
        policy = os.SCHED_IDLE if idle else os.SCHED_OTHER
        try:
            os.sched_setscheduler(0, policy, os.sched_param(0))
        except OSError:  # the probe said it would work; keep what the thread has
            log.warning("the checkpointer's CPU class was not changed", exc_info=True)
            self.enabled = False
            return
        self.is_idle = idle
