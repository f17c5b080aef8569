"""Numbered data migrations.

``GENERATION`` is the generation the code expects.  An older database is
brought up to it by ``archive-evolve CONFIG``, one step per transaction, each
step a function ``step(root)`` registered in ``STEPS`` under the generation it
produces.  A new database is born by running every step on the fresh root
(``born``), so a step is the one place that creates what a feature keeps at
the root: steps must therefore work on an empty archive as well as on a full
one.  The application refuses nothing on an old database but logs that it
needs evolving.

One module per step, ``gNN_<what>.py``, each defining ``step(root)``.
Generation 1 is the first release: nothing to do.
"""
import logging

from . import g02_jobs, g03_digitisation, g04_retention, g05_disposition, g06_jobs_context

log = logging.getLogger(__name__)

# generation -> step(root)
STEPS = {
    2: g02_jobs.step,
    3: g03_digitisation.step,
    4: g04_retention.step,
    5: g05_disposition.step,
    6: g06_jobs_context.step,
}
GENERATION = max(STEPS)


def born(root):
    """Bring a brand-new root to the latest generation (inside the caller's
    transaction)."""
    for gen in sorted(STEPS):
        STEPS[gen](root)
    root.generation = GENERATION


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
