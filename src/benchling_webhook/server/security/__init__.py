"""Who may post webhooks: Benchling's ECDSA signatures (JWKS-cached) and the optional IP allowlist."""
