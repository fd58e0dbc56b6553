"""The version of sparsecore, defined here only (packaging reads it from this file)."""

__version__ = "0.1.0"
