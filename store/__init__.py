"""Shared persistence: settings, SQLAlchemy models and sessions used by the gateway and the activities.

Workflow code never imports this package.
"""
