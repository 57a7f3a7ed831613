"""Engines turn validated inputs into images or videos; one file per engine."""
