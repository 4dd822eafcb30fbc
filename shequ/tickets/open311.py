"""Open311 GeoReport v2 endpoints (to be written)."""

urlpatterns: list = []
