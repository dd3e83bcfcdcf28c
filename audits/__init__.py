"""Spot-check audits."""
