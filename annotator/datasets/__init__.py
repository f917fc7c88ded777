"""Datasets out and back in: the selection of one export and its records, the writers (jsonl,
csv, xlsx, parquet; PostgreSQL's COPY for csv), the dataset card, the bundle of data + documents
+ card, the round trip (`import_dataset`), and the admin's import/export resources."""
