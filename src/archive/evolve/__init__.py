"""Numbered data migrations.

``GENERATION`` is the generation the code expects.  A new database is born at
it; an older one is brought up to it by ``archive-evolve CONFIG``, one step per
transaction, each step a function ``step(root)`` registered in ``STEPS`` under
the generation it produces.  The application refuses nothing on an old
database but logs that it needs evolving.
"""
import logging

log = logging.getLogger(__name__)

GENERATION = 1

# generation -> step(root); generation 1 is the first release: nothing to do.
STEPS = {}


def pending(root, target=None):
    """The generations still to reach, in order."""
    target = GENERATION if target is None else target
    return list(range(root.generation + 1, target + 1))


def evolve(root, transaction_manager, steps=None, target=None):
    """Run the missing steps, each in its own transaction; returns the
    generations applied."""
    steps = STEPS if steps is None else steps
    applied = []
    for gen in pending(root, target):
        step = steps.get(gen)
        with transaction_manager:
            if step is not None:
                log.info("evolving to generation %s: %s", gen, step.__doc__ or step.__name__)
                step(root)
            root.generation = gen
        applied.append(gen)
    return applied
