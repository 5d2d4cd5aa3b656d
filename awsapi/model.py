"""botocore's `support` service model: the contract for input validation and output shapes.

Inputs are checked with botocore's `ParamValidator` (types, required and unknown members, minimums)
plus the maximums and enums that botocore leaves to the server, so no limit is written twice.
"""

from __future__ import annotations

import base64
import binascii
from functools import lru_cache
from typing import Any

import botocore.session
from botocore.model import OperationModel, ServiceModel, Shape
from botocore.validate import ParamValidator

from core.errors import SerializationException, ValidationException

TARGET_PREFIX = "AWSSupport_20130415"


@lru_cache(maxsize=1)
def service_model() -> ServiceModel:
    return botocore.session.get_session().get_service_model("support")


def operation_model(name: str) -> OperationModel:
    return service_model().operation_model(name)


def operation_names() -> list[str]:
    return list(service_model().operation_names)


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


def validate_input(operation: str, params: dict[str, Any]) -> None:
    """Raise `ValidationException` unless `params` satisfy the operation's input shape."""
    shape = operation_model(operation).input_shape
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


def decode_blobs(params: Any, shape: Shape | None) -> Any:
    """Base64-decode the blob members (JSON carries blobs as base64 strings)."""
    if shape is None:
        return params
    kind = shape.type_name
    if kind == "structure" and isinstance(params, dict):
        return {
            name: decode_blobs(value, shape.members[name]) if name in shape.members else value
            for name, value in params.items()
        }
    if kind == "list" and isinstance(params, list):
        return [decode_blobs(item, shape.member) for item in params]
    if kind == "blob" and isinstance(params, str):
        try:
            return base64.b64decode(params, validate=True)
        except (binascii.Error, ValueError):
            raise SerializationException("Blob value is not valid base64.") from None
    return params


def serialize_output(value: Any, shape: Shape | None) -> Any:
    """Shape a handler's result for the wire: blobs base64, no None members."""
    if shape is None or value is None:
        return value
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        out = {}
        for name, member in shape.members.items():
            if name in value and value[name] is not None:
                out[name] = serialize_output(value[name], member)
        return out
    if kind == "list" and isinstance(value, list):
        return [serialize_output(item, shape.member) for item in value]
    if kind == "blob" and isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode("ascii")
    return value
