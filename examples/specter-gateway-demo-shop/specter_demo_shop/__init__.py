"""A demo shop platform for Specter Gateway, kept in one JSON file (see plugin.py)."""
