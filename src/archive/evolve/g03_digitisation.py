"""Generation 3: conversion batches and bulk imports."""


def step(root):
    """conversion batches and bulk imports: the folder root["batches"] and
    the index of web import jobs per fonds (root.import_jobs)"""
    from BTrees.OOBTree import OOBTree

    from archive.batches import ensure_batches

    ensure_batches(root)
    if getattr(root, "import_jobs", None) is None:
        root.import_jobs = OOBTree()
