"""The JSON API: one module per area, aggregated in gateway/api/router.py."""
