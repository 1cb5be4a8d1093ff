from __future__ import annotations

import gc

from bot.observability.heap import freeze_startup_heap


class _Built:
    """Something start-up builds and keeps (a catalogue entry, a model's table)."""


def test_objects_alive_at_start_up_are_skipped_by_later_collections():
    built_at_start = [_Built() for _ in range(1000)]
    try:
        frozen = freeze_startup_heap()
        assert frozen >= len(built_at_start)
        walked = {id(o) for o in gc.get_objects()}  # what a full collection walks
        assert not any(id(o) in walked for o in built_at_start)
        made_later = _Built()
        assert id(made_later) in {id(o) for o in gc.get_objects()}
    finally:
        gc.unfreeze()  # the test process goes on collecting as before
