"""Autogenerate leaves the objects existing when it starts out of garbage collections."""

from __future__ import annotations

import gc

from distill.autogenerate.gc_pause import existing_objects_frozen


def test_objects_are_frozen_inside_and_collectable_after() -> None:
    assert gc.get_freeze_count() == 0
    with existing_objects_frozen():
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0


def test_objects_are_collectable_after_an_error() -> None:
    try:
        with existing_objects_frozen():
            raise ValueError("boom")
    except ValueError:
        pass
    assert gc.get_freeze_count() == 0


def test_a_program_that_froze_objects_itself_keeps_them_frozen() -> None:
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with existing_objects_frozen():
            pass
        # nothing unfrozen (0) or frozen anew (more); a frozen object freed meanwhile by
        # reference counting leaves the permanent generation, so the count may drop a little
        assert 0 < gc.get_freeze_count() <= frozen
    finally:
        gc.unfreeze()


def test_a_disabled_collector_is_left_alone() -> None:
    gc.disable()
    try:
        with existing_objects_frozen():
            assert gc.get_freeze_count() == 0
        assert not gc.isenabled()
    finally:
        gc.enable()
