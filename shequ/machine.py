"""What the machine can hold: a bound on option values that would otherwise exhaust memory.

``--spacing 0.01`` (a street candidate every centimetre) or ``--res 15`` (H3 cells of 0.9 m²)
are valid numbers that ask for millions of objects; before this check they ran until the
machine swapped or the kernel killed the process, with nothing said. A job estimates the
objects an option asks for, multiplies by a measured cost per object, and stops with one line
saying the estimate when it would not fit in the memory the machine has free.
"""

from __future__ import annotations

import os
from pathlib import Path

from shequ.errors import InputError
from shequ.i18n import Note

# Share of the free memory one run may plan to use: the rest is for the operating system,
# other programs and what the estimate leaves out.
USABLE_SHARE = 0.5


def available_memory_bytes() -> int:
    """Memory free for new work: ``MemAvailable`` on Linux, else free physical pages.

    ``psutil.virtual_memory().available`` says the same on every platform; for these few lines
    it is not worth a compiled dependency.
    """
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        for line in meminfo.read_text(encoding="ascii", errors="ignore").splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):  # not POSIX: assume a small office PC
        return 4 * 1024**3


def check_fits(option: str, objects: float, bytes_each: float, what: str, advice: str) -> None:
    """Stop with an :class:`InputError` when ``objects`` × ``bytes_each`` would not fit.

    Parameters
    ----------
    option : str
        The option and value as the user wrote them, e.g. ``"--spacing 0.01"``.
    objects : float
        How many objects the option asks for (candidates, cells …).
    bytes_each : float
        Measured peak memory per object (see the caller for how it was measured).
    what : str
        The objects' name in the message, e.g. ``"street candidates"``.
    advice : str
        What to do instead, e.g. ``"use --spacing 5 or more"``.

    Raises
    ------
    InputError
        When the estimate is above :data:`USABLE_SHARE` of the free memory.
    """
    need = objects * bytes_each
    free = available_memory_bytes()
    if need > USABLE_SHARE * free:
        raise InputError(
            Note(
                "m.too_big",
                option=option,
                objects=f"{objects:,.0f}",
                what=what,
                need=f"{need / 1024**3:,.1f}",
                free=f"{free / 1024**3:,.1f}",
                advice=advice,
            )
        )
