"""AWS operations, one function each, registered by name where they are written (registry.py).
families.py imports every family, so that the registry holds them all."""
