"""botocore's service models (`support`, and `cloudtrail` for LookupEvents): the contract for
input validation and output shapes.

Inputs are checked with botocore's `ParamValidator` (types, required and unknown members, minimums)
plus the maximums and enums that botocore leaves to the server, so no limit is written twice.

One endpoint speaks several services (`Api`): a call names its service twice, by the X-Amz-Target
prefix of the service's model and by the service in its SigV4 credential scope, and both must
agree (`awsapi.dispatch`, `awsapi.auth`).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import botocore.session
import botocore.utils
from botocore.model import OperationModel, ServiceModel, Shape
from botocore.validate import ParamValidator

from audit.names import CLOUDTRAIL_SOURCE, SUPPORT_SOURCE
from core.errors import SerializationException, ValidationException

SUPPORT = "support"
CLOUDTRAIL = "cloudtrail"
TARGET_PREFIX = "AWSSupport_20130415"


@dataclass(frozen=True)
class Api:
    """One AWS service the endpoint answers for. Its botocore model's name is also the service in
    SigV4's credential scope and IAM's action prefix (`support:DescribeCases`,
    `cloudtrail:LookupEvents`), as on AWS."""

    service: str
    # CloudTrail's eventSource for the records of its calls.
    event_source: str
    # Whether the account's support plan must include API access (AWS Support's API does;
    # CloudTrail's event history is every account's).
    requires_api_plan: bool
    # CloudTrail records request parameters in camelCase (`lookupAttributes`), whatever the
    # model's member names (LookupEvents' are PascalCase).
    camel_case_records: bool

    @property
    def target_prefix(self) -> str:
        return str(service_model(self.service).metadata["targetPrefix"])


APIS: dict[str, Api] = {
    SUPPORT: Api(SUPPORT, SUPPORT_SOURCE, requires_api_plan=True, camel_case_records=False),
    CLOUDTRAIL: Api(
        CLOUDTRAIL, CLOUDTRAIL_SOURCE, requires_api_plan=False, camel_case_records=True
    ),
}


@lru_cache(maxsize=len(APIS))
def service_model(service: str = SUPPORT) -> ServiceModel:
    return botocore.session.get_session().get_service_model(service)


def operation_model(name: str, service: str = SUPPORT) -> OperationModel:
    return service_model(service).operation_model(name)


def operation_names(service: str = SUPPORT) -> list[str]:
    return list(service_model(service).operation_names)


def _member_path(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _extra_checks(value: Any, shape: Shape, path: str, errors: list[str]) -> None:
    """The constraints botocore does not check client-side: max, enum, bool-as-number."""
    kind = shape.type_name
    meta = shape.metadata
    if kind == "structure" and isinstance(value, dict):
        for name, member in shape.members.items():
            if name in value and value[name] is not None:
                _extra_checks(value[name], member, _member_path(path, name), errors)
    elif kind == "list" and isinstance(value, list):
        if "max" in meta and len(value) > meta["max"]:
            errors.append(
                f"Value at '{path}' failed to satisfy constraint: Member must have length less "
                f"than or equal to {meta['max']}"
            )
        for index, item in enumerate(value):
            _extra_checks(item, shape.member, f"{path}.{index + 1}", errors)
    elif kind == "string" and isinstance(value, str):
        if "max" in meta and len(value) > meta["max"]:
            errors.append(
                f"Value at '{path}' failed to satisfy constraint: Member must have length less "
                f"than or equal to {meta['max']}"
            )
        if shape.enum and value not in shape.enum:
            errors.append(
                f"Value '{value[:100]}' at '{path}' failed to satisfy constraint: Member must "
                f"satisfy enum value set: [{', '.join(shape.enum)}]"
            )
    elif kind in ("integer", "long"):
        if isinstance(value, bool):
            errors.append(
                f"Value at '{path}' failed to satisfy constraint: Member must be a number"
            )
        elif isinstance(value, int) and "max" in meta and value > meta["max"]:
            errors.append(
                f"Value '{value}' at '{path}' failed to satisfy constraint: Member must have "
                f"value less than or equal to {meta['max']}"
            )


def validate_input(operation: str, params: dict[str, Any], service: str = SUPPORT) -> None:
    """Raise `ValidationException` unless `params` satisfy the operation's input shape."""
    shape = operation_model(operation, service).input_shape
    if shape is None:
        if params:
            raise ValidationException(f"{operation} takes no parameters.")
        return
    report = ParamValidator().validate(params, shape)
    errors: list[str] = []
    if report.has_errors():
        errors.extend(report.generate_report().splitlines())
    _extra_checks(params, shape, "", errors)
    if errors:
        count = len(errors)
        noun = "error" if count == 1 else "errors"
        raise ValidationException(f"{count} validation {noun} detected: " + "; ".join(errors))


MSG_TIMESTAMP = "Value at '{path}' failed to satisfy constraint: Member must be a timestamp"


def parse_timestamp(value: Any) -> datetime | None:
    """A timestamp member as an aware UTC datetime (JSON carries epoch seconds; botocore also
    sends ISO 8601 strings); None for anything that is not one, however it fails (botocore's
    own parser raises RuntimeError for an epoch past the platform's range)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        parsed = botocore.utils.parse_to_aware_datetime(value)
        return parsed.astimezone(UTC)
    except (TypeError, ValueError, AttributeError, OverflowError, OSError, RuntimeError):
        return None


def decode_input(params: Any, shape: Shape | None, path: str = "") -> Any:
    """Base64-decode the blob members (JSON carries blobs as base64 strings) and read the
    timestamps as aware datetimes."""
    if shape is None:
        return params
    kind = shape.type_name
    if kind == "structure" and isinstance(params, dict):
        return {
            name: decode_input(value, shape.members[name], _member_path(path, name))
            if name in shape.members
            else value
            for name, value in params.items()
        }
    if kind == "list" and isinstance(params, list):
        return [
            decode_input(item, shape.member, f"{path}.{index + 1}")
            for index, item in enumerate(params)
        ]
    if kind == "blob" and isinstance(params, str):
        try:
            return base64.b64decode(params, validate=True)
        except (binascii.Error, ValueError):
            raise SerializationException("Blob value is not valid base64.") from None
    if kind == "timestamp" and params is not None:
        moment = parse_timestamp(params)
        if moment is None:
            raise ValidationException(MSG_TIMESTAMP.format(path=path))
        return moment
    return params


# Members we answer beyond the model's, by the name of the structure they extend: our own clients
# read them (raw JSON, or botocore with a model of its own); AWS's SDKs parse responses against
# their model and never see them. Declared by the operation that fills them
# (`declare_extensions`), documented in docs/API.md.
EXTENSIONS: dict[str, frozenset[str]] = {}


def declare_extensions(shape_name: str, members: Iterable[str]) -> None:
    """Let `members` through `serialize_output` in structures of shape `shape_name`. Only
    names the model does not use: an extension never changes what a member of AWS's means."""
    names = frozenset(members)
    for service in APIS:
        model = service_model(service)
        if shape_name in model.shape_names:
            shape = model.shape_for(shape_name)
            clash = names & set(getattr(shape, "members", {}))
            if clash:
                raise ValueError(f"{shape_name} already has members {sorted(clash)}")
    EXTENSIONS[shape_name] = EXTENSIONS.get(shape_name, frozenset()) | names


def serialize_output(value: Any, shape: Shape | None) -> Any:
    """Shape a handler's result for the wire: blobs base64, timestamps epoch seconds (what the
    JSON protocol carries), no None members."""
    if shape is None or value is None:
        return value
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        out = {}
        for name, member in shape.members.items():
            if name in value and value[name] is not None:
                out[name] = serialize_output(value[name], member)
        for name in EXTENSIONS.get(shape.name, ()):
            if value.get(name) is not None:
                out[name] = value[name]
        return out
    if kind == "list" and isinstance(value, list):
        return [serialize_output(item, shape.member) for item in value]
    if kind == "blob" and isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode("ascii")
    if kind == "timestamp" and isinstance(value, datetime):
        return value.timestamp()
    return value
