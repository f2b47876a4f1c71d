"""Pure functions of the opportunity domain: business rules, identifiers, defaults. No I/O."""
