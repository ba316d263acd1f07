"""Business logic of the clinic service; the API routes only translate HTTP to these calls."""
