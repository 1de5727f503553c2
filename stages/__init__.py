"""DVC stage entry points: thin modules run as ``python -m stages.<name>``."""
