"""What a user can configure, as typed schemas, and the names configs refer to (light imports)."""
