"""The botocore service models cosell serves, loaded at run time: the wire contract.

partnercentral-selling is the API cosell implements; other AWS services may be served on the same
endpoint beside it (EventBridge's, for events), each found by its X-Amz-Target prefix. Shapes, enums,
patterns and operation names come from here and are never copied into cosell's source.
"""

from __future__ import annotations

import importlib.metadata
from dataclasses import dataclass
from functools import cache, cached_property

import botocore.session
from botocore.model import ServiceModel

PARTNER_CENTRAL_SELLING = "partnercentral-selling"
SERVICE_NAME = PARTNER_CENTRAL_SELLING
API_VERSION = "2022-07-26"
# The first botocore whose partnercentral-selling model has all 63 operations (1.44.6 has 45, and its
# shapes are stricter: CreateEngagement requires Title and Description there, for instance).
MINIMUM_BOTOCORE = "1.44.7"
_API_VERSIONS = {PARTNER_CENTRAL_SELLING: API_VERSION}


@dataclass(frozen=True)
class Service:
    """One AWS service served on the endpoint: its model, and what a request names it by."""

    name: str  # botocore's name for it: partnercentral-selling, events
    model: ServiceModel

    @property
    def target_prefix(self) -> str:
        """What X-Amz-Target starts with: AWSPartnerCentralSelling, AWSEvents."""
        return self.model.metadata["targetPrefix"]

    @property
    def json_version(self) -> str:
        """awsJson 1.0 or 1.1."""
        return self.model.metadata["jsonVersion"]

    @property
    def signing_name(self) -> str:
        return self.model.signing_name

    @cached_property
    def operation_names(self) -> frozenset[str]:
        return frozenset(self.model.operation_names)


@cache
def service(name: str) -> Service:
    """A service's (immutable) model from the installed botocore, loaded once per process."""
    loader = botocore.session.get_session().get_component("data_loader")
    return Service(name, ServiceModel(loader.load_service_model(name, "service-2", _API_VERSIONS.get(name)), name))


def service_model() -> ServiceModel:
    """partnercentral-selling's model."""
    return service(PARTNER_CENTRAL_SELLING).model


def enum_values(shape_name: str) -> tuple[str, ...]:
    return tuple(service_model().shape_for(shape_name).enum)


def list_limit(shape_name: str) -> int:
    """The most items a list shape of partnercentral-selling's model takes (its `max`)."""
    return int(service_model().shape_for(shape_name).metadata["max"])


def botocore_version() -> str:
    return importlib.metadata.version("botocore")


class ModelTooOld(RuntimeError):
    """The installed botocore's model lacks operations cosell knows: its shapes would be older too."""


def check_model(served: Service, known: frozenset[str]) -> None:
    """ModelTooOld unless the model has every operation cosell implements or lists as not yet
    implemented (operations/registry.py): an older botocore silently lacks some and is stricter."""
    missing = sorted(known - served.operation_names)
    if missing:
        shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        raise ModelTooOld(
            f"botocore {botocore_version()} has a {served.name} model of {len(served.operation_names)} operations; "
            f"it lacks {len(missing)} that cosell knows ({shown}). Install botocore>={MINIMUM_BOTOCORE}: "
            f"pip install 'botocore>={MINIMUM_BOTOCORE}'.")
