"""Small model modules for the declarative front end's tests (one registry per module)."""
