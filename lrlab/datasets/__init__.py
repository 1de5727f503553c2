"""Datasets of the lessons: sources and checksums, download, parsing and preparation."""
