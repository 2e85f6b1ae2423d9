"""Notifications: in the application, by e-mail and by WhatsApp, each recorded before it is sent."""
