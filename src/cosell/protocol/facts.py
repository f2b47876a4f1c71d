"""Facts about partnercentral-selling that its model does not declare, each with its source.

What the model declares (enums, patterns, limits) is read from the model (protocol/model.py) and never
written here. Validation's own exceptions to the model (members whose pattern is a business rule, nulls
that mean something) are in protocol/validation/policy.py; HTTP statuses are on the error classes
(protocol/errors.py); quota groups in quotas.py.
"""

from __future__ import annotations

# Catalog: "a string value from a predefined list: AWS or Sandbox" (model doc of every operation's
# Catalog; the model types it as a string of pattern [a-zA-Z]+). Also the values of the IAM condition
# key partnercentral:Catalog.
AWS_CATALOG = "AWS"
SANDBOX_CATALOG = "Sandbox"
CATALOGS = (AWS_CATALOG, SANDBOX_CATALOG)
