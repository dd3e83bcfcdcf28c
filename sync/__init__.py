"""The JSON sync API (/api/v1) that the service worker and other clients use."""
