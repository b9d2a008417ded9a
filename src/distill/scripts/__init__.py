"""The migration folder on disk: revision headers, the directory, new revision files."""
