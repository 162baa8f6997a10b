"""Your code, one module per model: sublimate writes each module once and never changes it.

`fapp.db` exports the repositories and services defined here in place of the generated ones.
"""
