"""The botocore service model for partnercentral-selling, loaded once from botocore at run time.

This is the wire contract: shapes, enums, patterns and operation names come from here and are
never copied into cosell's source.
"""

from functools import cache

import botocore.session
from botocore.model import ServiceModel

SERVICE_NAME = "partnercentral-selling"
API_VERSION = "2022-07-26"


@cache
def service_model() -> ServiceModel:
    """The (immutable) service model; loading it once per process is enough."""
    loader = botocore.session.get_session().get_component("data_loader")
    return ServiceModel(loader.load_service_model(SERVICE_NAME, "service-2", API_VERSION), SERVICE_NAME)


def enum_values(shape_name: str) -> tuple[str, ...]:
    return tuple(service_model().shape_for(shape_name).enum)
