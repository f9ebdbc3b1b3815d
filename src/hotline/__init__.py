"""Hotline: an open-source call center in one Python process."""

__version__ = "0.1.0"
