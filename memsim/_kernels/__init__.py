"""Compiled hot loops. Called only from their one Python face, never from user code."""
