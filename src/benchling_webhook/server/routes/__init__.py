"""HTTP routes of the web role: health checks and webhook intake."""
