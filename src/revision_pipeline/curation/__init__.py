"""Kedro-free building blocks of the curate pipeline that combine the other libraries.

Ingestion (``archive``), de-identification (``deid``), text (``text``) and image quality
(``imaging``) each work on one item; this package works across items: parallel image
processing with a cache, deduplication, patient-level splits, the curation funnel.
"""
