"""Channel-free answering: retrieval, composition, verification and dialogue."""
