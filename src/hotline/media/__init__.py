"""Hotline's media engine (work in progress: codecs and packet formats first)."""

__all__: list[str] = []
