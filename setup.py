"""Build of the optional C module ``tracegrad._speedups`` (the rest is in pyproject.toml).

``optional=True``: without a C compiler or Python's headers the install still
succeeds and tracegrad runs its pure-Python implementation of the same code.
"""
from setuptools import Extension, setup

setup(ext_modules=[Extension('tracegrad._speedups', ['tracegrad/_speedups.c'], optional=True)])
