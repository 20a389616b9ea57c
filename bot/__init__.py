"""Everything that answers: the channel-free core, the channels and the CLI."""
