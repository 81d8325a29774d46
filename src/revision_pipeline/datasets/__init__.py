"""Project-specific Kedro datasets (referenced by module path in ``conf/base/catalog.yml``).

- ``archive.ArchiveDataset``: the institution archive folder (docs/contracts.md §3).
- ``tables.ParquetShardsDataset``: a Parquet dataset written chunk by chunk.
- ``tables.OptionalCSVDataset``: a CSV that may be absent (the demo's ground truth).
- ``standins.StandInsDataset``: the benchmarks folder the synthetic stand-ins are written to.
- ``config_files.DialectsDataset`` / ``SecretDataset``: institutions.yml, the pseudonym key.
"""
