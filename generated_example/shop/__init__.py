"""A small shop: hand-written models in `shop.models`, generated data access in `shop.db`."""
