"""Your code, one module per model: sublimate writes each module once and never changes it.

`qapp.db` exports the repositories and services defined here in place of the generated ones.
"""
