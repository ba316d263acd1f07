"""Protocol data files (package data): one ``<id>.v<version>.toml`` per protocol version."""
