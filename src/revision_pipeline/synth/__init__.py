"""Synthetic telemedicine archive: fundus photographs, Chinese reports, export dialects.

Kedro-free. Everything here is deterministic from a seed.
"""
