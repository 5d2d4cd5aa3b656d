"""The single AWS API endpoint: `POST /` with `X-Amz-Target: AWSSupport_20130415.<Operation>`,
or `com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents` for CloudTrail's event
history: one URL for both services, so `--endpoint-url` works for `aws support` and
`aws cloudtrail` alike. The target's prefix says which service's model the operation is of
(`model.APIS`); the SigV4 credential scope must name the same service.

Order of checks (each failure is an AWS JSON error with `x-amzn-RequestId`):
host -> operation (X-Amz-Target names an operation of a model we serve) -> content type ->
body size cap for the operation -> SigV4 (scoped to the operation's service) -> JSON
(`protocol.parse_body`: strict UTF-8 JSON, bounded depth) -> rate limit -> account active (and,
for AWS Support, a plan with API access) -> the operation's own input checks, answered with its
own errors (LookupEvents' InvalidMaxResultsException, ...) -> input shape (botocore model) -> IAM
policy (`<service>:<Operation>`) -> handler. The operation is checked first, like AWS does, so an
unknown target is never authenticated, recorded or named anywhere.

A mutating handler runs in one transaction (a `prepared` one reads and validates before it and
hands the dispatcher its writes, so the transaction holds only them); a read runs outside any
(its audit record is one INSERT after it), so reads never hold SQLite's write lock. `dryRun`
runs the handler and rolls back (a read has nothing to roll back), then answers
`DryRunOperationException`. Mutating calls are remembered by (access key, invocation id) in
the same transaction, so botocore's retries of a committed call get the first answer.

Every call writes exactly one audit record named after the operation. Who writes it is declared
with the operation (`audited_by_service`): an operation that acts through a service that records
its own action (CreateCase, ResolveCase, ...) leaves its record to that service, inside the
service's transaction; reads, and the few actions whose services record only what the consoles
do, are recorded here. A failed call, whatever failed, is recorded here after its rollback (when
the database is there to take it).

Anything unexpected is AWS's JSON `InternalServerError` (500), never the web app's HTML. The
database being away (restarting, unreachable, or SQLite's writer lock not coming in time) is
`ServiceUnavailableException` (503): SDKs retry both, and a call whose commit was acknowledged
but whose answer was lost is answered from its idempotency record on the retry.
"""

from __future__ import annotations

import functools
import logging
import math
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.db import DatabaseError, IntegrityError, InterfaceError, OperationalError, transaction
from django.http import HttpRequest, HttpResponse

from accounts import access
from accounts.models import AccessKey, Account
from accounts.principals import Principal
from accounts.services import access_key_touch
from audit import services as audit
from awsapi import auth, model, protocol
from awsapi.services import idempotency_record_store, idempotency_response
from core import safejson, throttling
from core.clientip import client_ip
from core.errors import (
    AccessDeniedException,
    DryRunOperationException,
    InternalServerError,
    InvalidHostException,
    RequestEntityTooLargeException,
    SerializationException,
    ServiceUnavailableException,
    SubscriptionRequiredException,
    SupportApiError,
    ThrottlingException,
    UnknownOperationException,
)

logger = logging.getLogger(__name__)

DEFAULT_MAX_BODY = 256 * 1024
# Members never copied into audit records: case text, addresses, file contents.
SENSITIVE_MEMBERS = frozenset({"subject", "communicationBody", "ccEmailAddresses", "data"})


@dataclass
class CallContext:
    operation: str
    principal: Principal
    access_key: AccessKey
    account: Account
    request_id: str
    invocation_id: str
    dry_run: bool
    # Set by handlers for the audit record of a read (e.g. resources touched).
    audit_response: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


Handler = Callable[[CallContext, dict[str, Any]], Any]
# What a prepared operation's handler returns: its writes, run in the call's transaction.
Writes = Callable[[], dict[str, Any]]
# An operation's own checks of its raw input, raising the operation's own errors.
InputCheck = Callable[[dict[str, Any]], None]


@dataclass(frozen=True)
class OperationSpec:
    name: str
    handler: Handler
    read_only: bool
    max_body: int
    idempotent: bool
    # Whether the service the handler calls writes the call's audit record (else the dispatcher).
    audited_by_service: bool = False
    # The service (`model.APIS`) whose model the operation is of.
    service: str = model.SUPPORT
    # Run before the model's validation, for what the operation answers with errors of its own
    # where the model would only say ValidationException.
    check: InputCheck | None = None
    # A mutating handler that reads and validates before the call's transaction and returns
    # its writes (`Writes`), which the dispatcher runs in it: the transaction holds no reads.
    prepared: bool = False

    @property
    def api(self) -> model.Api:
        return model.APIS[self.service]

    @property
    def action(self) -> str:
        """The IAM action a call needs (`support:CreateCase`, `cloudtrail:LookupEvents`)."""
        return f"{self.service}:{self.name}"


# AWS Support's operations, by name.
REGISTRY: dict[str, OperationSpec] = {}
# Every service's operations, by service: AWS Support's is `REGISTRY` itself.
REGISTRIES: dict[str, dict[str, OperationSpec]] = {
    service: REGISTRY if service == model.SUPPORT else {} for service in model.APIS
}


def operation(
    name: str,
    *,
    read_only: bool = False,
    max_body: int = DEFAULT_MAX_BODY,
    idempotent: bool = False,
    audited_by_service: bool | None = None,
    service: str = model.SUPPORT,
    check: InputCheck | None = None,
    prepared: bool = False,
) -> Callable[[Handler], Handler]:
    """Register a handler for an operation of botocore's model of `service` (AWS Support's
    unless said). Mutating operations' services record the call unless
    `audited_by_service=False`; reads never do. A `prepared` handler runs before the call's
    transaction and returns its writes (a `Writes`), which run in it."""
    if name not in model.operation_names(service):
        raise ValueError(f"{name} is not an operation of the {service} model")
    by_service = not read_only if audited_by_service is None else audited_by_service

    def register(handler: Handler) -> Handler:
        REGISTRIES[service][name] = OperationSpec(
            name, handler, read_only, max_body, idempotent, by_service, service, check, prepared
        )
        return handler

    return register


class _DryRunRollback(Exception):
    pass


MAX_AUDIT_STRING = 256
MAX_AUDIT_ITEMS = 100


def _camel(name: str) -> str:
    return name[:1].lower() + name[1:]


def sanitize_parameters(
    params: dict[str, Any], operation: str = "", service: str = model.SUPPORT
) -> dict[str, Any] | None:
    """Request parameters for the audit trail: only members of the operation's input shape,
    without case text, addresses or file contents, with strings and lists cut short, and always
    storable as JSON (failed calls are recorded before validation, so their input may be
    anything). Member names in camelCase for the services CloudTrail records so."""
    if not params:
        return None
    shape = None
    spec = REGISTRIES.get(service, {}).get(operation)
    if spec is not None:
        shape = model.operation_model(operation, service).input_shape
    camel = spec is not None and spec.api.camel_case_records

    def clean(value: Any, depth: int = 0) -> Any:
        if depth > 5:
            return None
        if isinstance(value, dict):
            return {
                safejson.scrub((_camel(str(k)) if camel else str(k))[:MAX_AUDIT_STRING]): clean(
                    v, depth + 1
                )
                for k, v in list(value.items())[:MAX_AUDIT_ITEMS]
                if k not in SENSITIVE_MEMBERS
            }
        if isinstance(value, list):
            return [clean(v, depth + 1) for v in value[:MAX_AUDIT_ITEMS]]
        if isinstance(value, str):
            return safejson.scrub(value[:MAX_AUDIT_STRING])
        if isinstance(value, float):
            # A JSON column stores no NaN or Infinity (parse_body refuses them anyway).
            return value if math.isfinite(value) else None
        if value is None or isinstance(value, bool | int):
            return value
        return None  # bytes and anything else that is not JSON

    if shape is not None:
        params = {k: v for k, v in params.items() if k in shape.members}
    return clean(params) or None


def _read_body(request: HttpRequest, cap: int) -> bytes:
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > cap:
        raise RequestEntityTooLargeException(f"Request body exceeds the limit of {cap} bytes.")
    # Read at most cap + 1 bytes, never the whole of an oversized stream.
    body = request.read(cap + 1)
    if len(body) > cap:
        raise RequestEntityTooLargeException(f"Request body exceeds the limit of {cap} bytes.")
    return body


MSG_NO_TARGET = (
    "POST / is the AWS Support API (and CloudTrail's LookupEvents): name the operation in the "
    "X-Amz-Target header (AWSSupport_20130415.<Operation>)."
)
MSG_UNKNOWN_OPERATION = "Operation {target!r} is not supported."
MSG_ACCOUNT_INACTIVE = "The account is not active."


def _operation_spec(request: HttpRequest) -> OperationSpec | None:
    """The operation X-Amz-Target names, if it is one we serve (of a model of `model.APIS`)."""
    target = request.META.get("HTTP_X_AMZ_TARGET", "")
    prefix, _, name = target.rpartition(".")
    for service, api in model.APIS.items():
        if prefix == api.target_prefix:
            return REGISTRIES[service].get(name)
    return None


def _record_failure(
    principal: Principal | None,
    account: Account | None,
    spec: OperationSpec | None,
    params: dict,
    error: SupportApiError,
) -> None:
    """Record a refused call after its rollback. Calls naming no operation we serve are
    refused before authentication and belong to no account's trail."""
    if principal is None or account is None or spec is None:
        return  # Unauthenticated calls belong to no account's trail.
    record = functools.partial(
        audit.record,
        actor=principal,
        event_name=spec.name,
        event_source=spec.api.event_source,
        account=account,
        error_code=error.code,
        error_message=error.message,
        read_only=spec.read_only,
    )
    try:
        with transaction.atomic():
            record(request_parameters=sanitize_parameters(params, spec.name, spec.service))
        return
    except Exception:
        logger.exception("could not record a failed API call with its parameters")
    # The refusal is still recorded, without the parameters that could not be stored.
    try:
        with transaction.atomic():
            record()
    except DatabaseError as exc:  # the database is away: the answer matters more than its record
        logger.warning("could not record a failed API call: %s", exc)
    except Exception:  # pragma: no cover - the error answer matters more than its record
        logger.exception("could not record a failed API call")


def handle(request: HttpRequest) -> HttpResponse:
    request_id = str(uuid.uuid4())
    spec = _operation_spec(request)
    name = spec.name if spec is not None else ""
    principal: Principal | None = None
    account: Account | None = None
    params: dict[str, Any] = {}
    try:
        try:
            request.get_host()
        except DisallowedHost:
            raise InvalidHostException(
                "The Host header names a host this server does not serve."
            ) from None
        if spec is None:
            target = request.META.get("HTTP_X_AMZ_TARGET")
            raise UnknownOperationException(
                MSG_UNKNOWN_OPERATION.format(target=target[:200]) if target else MSG_NO_TARGET
            )
        if (
            request.META.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
            != protocol.CONTENT_TYPE
        ):
            raise SerializationException(
                f"Content-Type must be {protocol.CONTENT_TYPE} for AWS API calls."
            )
        parsed_auth, amz_date, key = auth.identify(request, spec.service)
        body = _read_body(request, spec.max_body)
        auth.verify(request, body, parsed_auth, amz_date, key)
        account = key.user.account
        principal = Principal(
            user=key.user,
            via="api",
            access_key_id=key.access_key_id,
            source_ip=client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", "")[:1000],
            request_id=request_id,
        )
        params = protocol.parse_body(body)
        if not throttling.hit(
            f"api:{key.access_key_id}",
            limit=settings.SUPPORTCENTER_API_RATE_LIMIT,
            window_seconds=1,
        ):
            raise ThrottlingException()
        if spec.api.requires_api_plan:
            if account is None or not account.is_active or not account.plan.api_access:
                raise SubscriptionRequiredException()
        elif account is None or not account.is_active:
            raise AccessDeniedException(MSG_ACCOUNT_INACTIVE)
        if spec.check is not None:
            spec.check(params)
        model.validate_input(name, params, spec.service)
        access.authorize(principal, spec.action)
        decoded = model.decode_input(params, model.operation_model(name, spec.service).input_shape)
        access_key_touch(access_key=key)
        result = _run(spec, key, account, principal, request_id, request, decoded, params)
        return protocol.render_result(result, request_id)
    except SupportApiError as error:
        _record_failure(principal, account, spec, params, error)
        return protocol.render_error(error, request_id)
    except (OperationalError, InterfaceError) as exc:
        # The database is away for now: one line in the log rather than a traceback per call.
        logger.warning("AWS API call %s: database unavailable: %s", name, exc)
        unavailable = ServiceUnavailableException()
        _record_failure(principal, account, spec, params, unavailable)
        return protocol.render_error(unavailable, request_id)
    except Exception:
        logger.exception("AWS API call %s failed", name)
        internal = InternalServerError()
        _record_failure(principal, account, spec, params, internal)
        return protocol.render_error(internal, request_id)


def _run(
    spec: OperationSpec,
    key: AccessKey,
    account: Account,
    principal: Principal,
    request_id: str,
    request: HttpRequest,
    params: dict[str, Any],
    raw_params: dict[str, Any],
) -> dict[str, Any]:
    invocation_id = request.META.get("HTTP_AMZ_SDK_INVOCATION_ID", "")[:100]
    dry_run = bool(params.get("dryRun"))
    remember = spec.idempotent and bool(invocation_id) and not dry_run
    if remember:
        stored = idempotency_response(
            access_key_id=key.access_key_id, invocation_id=invocation_id, operation=spec.name
        )
        if stored is not None:
            # A retry of a committed call: answer as before, and still record this call.
            with transaction.atomic():
                audit.record(
                    actor=principal,
                    event_name=spec.name,
                    event_source=spec.api.event_source,
                    account=account,
                    request_parameters=sanitize_parameters(raw_params, spec.name, spec.service),
                    response_elements=stored,
                )
            return stored
    ctx = CallContext(
        operation=spec.name,
        principal=principal,
        access_key=key,
        account=account,
        request_id=request_id,
        invocation_id=invocation_id,
        dry_run=dry_run,
        extra={"base_url": request.build_absolute_uri("/")},
    )
    output_shape = model.operation_model(spec.name, spec.service).output_shape
    if spec.read_only:
        return _run_read(spec, ctx, params, raw_params, output_shape)
    # A prepared operation's reads and checks, before the transaction (on SQLite its BEGIN
    # IMMEDIATE takes the one write lock every writer queues for). What it read can be deleted
    # before its writes commit (an event rule's target, an engineer to alert, the submitting IAM
    # user): the database refuses the writes' references, and the operation is prepared again,
    # once, from what is there now.
    retried = False
    while True:
        writes: Writes | None = spec.handler(ctx, params) if spec.prepared else None
        try:
            with transaction.atomic():
                output = writes() if writes is not None else spec.handler(ctx, params)
                result = model.serialize_output(output, output_shape) or {}
                if dry_run:
                    raise _DryRunRollback()
                if not spec.audited_by_service:
                    _record_call(spec, ctx, raw_params)
                if remember:
                    idempotency_record_store(
                        access_key_id=key.access_key_id,
                        invocation_id=invocation_id,
                        operation=spec.name,
                        response=result,
                    )
        except _DryRunRollback:
            raise DryRunOperationException() from None
        except IntegrityError:
            if remember:
                # A concurrent attempt of the same invocation committed first: answer as it did.
                stored = idempotency_response(
                    access_key_id=key.access_key_id,
                    invocation_id=invocation_id,
                    operation=spec.name,
                )
                if stored is not None:
                    return stored
            if writes is None or retried:
                raise
            retried = True
            continue
        return result


def _run_read(
    spec: OperationSpec,
    ctx: CallContext,
    params: dict[str, Any],
    raw_params: dict[str, Any],
    output_shape: Any,
) -> dict[str, Any]:
    """A read runs outside any transaction and its audit record is one INSERT after it: on
    SQLite a transaction here would be `BEGIN IMMEDIATE`, holding the database's only write lock
    for the whole read, so every read would queue behind every other call."""
    result = model.serialize_output(spec.handler(ctx, params), output_shape) or {}
    if ctx.dry_run:
        raise DryRunOperationException()
    _record_call(spec, ctx, raw_params)
    return result


def _record_call(spec: OperationSpec, ctx: CallContext, raw_params: dict[str, Any]) -> None:
    """The audit record of a call the dispatcher records (reads, and actions whose services
    record only the consoles')."""
    audit.record(
        actor=ctx.principal,
        event_name=spec.name,
        event_source=spec.api.event_source,
        account=ctx.account,
        request_parameters=sanitize_parameters(raw_params, spec.name, spec.service),
        response_elements=ctx.audit_response,
        read_only=spec.read_only,
    )
