"""Generation 3: conversion batches and bulk imports."""


def step(root):
    """conversion batches and bulk imports"""
