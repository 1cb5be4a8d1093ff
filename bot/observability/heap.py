"""Keeps the objects built at start-up out of the garbage collector's full passes.

The catalogue, the NLU model and the compiled SQL live as long as the process: about
150,000 objects. A full (generation 2) collection walks all of them with the GIL held,
a pause of about 80 ms on this project's 2-core machine (bench/gc_pause.py) during which
no message of that process moves. ``gc.freeze()`` moves what exists now to a permanent generation
that collections skip, so a later full pass only walks what the turns created.
"""
from __future__ import annotations

import gc


def freeze_startup_heap() -> int:
    """Call once start-up is done (before serving). Returns how many objects were frozen."""
    gc.collect()  # garbage made while starting is freed first, not kept for ever
    gc.freeze()
    return gc.get_freeze_count()
