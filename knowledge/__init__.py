"""What the bot knows: catalog, schema, store and embedders, shared by `bot` and `ingest`."""
