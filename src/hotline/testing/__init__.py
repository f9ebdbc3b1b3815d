"""Shared test helpers: real processes and peers on loopback, typed fakes."""
