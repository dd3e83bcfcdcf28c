"""Incidents and near misses: capture, review, triage, threshold decisions, duty timers."""
