"""Email, SNS and SQS targets (webhooks are `events.services.webhook`).

- email: a plain-text summary with the event JSON, through Django's email backend, only once the
  address is confirmed (`events.services.delivery` checks that before calling `send_email`); a
  delivery with purpose "confirmation" is the email asking for that (`send_confirmation`: its
  signed link is made when it is sent, so it is valid for 3 days from then). Both are written
  in the rule's account's language (the recipient is an address, not a user with a language
  of their own; the account's is the one its emails use), never the worker's.
- sns / sqs: Publish / SendMessage of the event JSON in the account's connected AWS environment
  (`connections.sessions.aws_session`), in the region of the target's ARN. FIFO topics and queues
  get the rule's name as their message group and the delivery id as deduplication id.

SMTP and AWS errors never escape: they become a failed `Outcome`, retried later.
"""

from __future__ import annotations

import json
from typing import Any, cast

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.core.mail import EmailMessage, send_mail
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from connections import sessions
from core.errors import Phrase, SupportApiError
from events.models import ConfirmationStatus, EventDelivery, EventTarget
from events.services.confirmation import confirmation_email
from events.services.sending import NAMED_ERROR, Outcome, event_body, event_text, ordered_event

# The attempt log's words for a sent email, in its reader's language.
MSG_SENT_TO = gettext_noop("Sent to {email}")
MSG_ALREADY_CONFIRMED = gettext_noop("Not sent: the address is already confirmed.")


def _language(target: EventTarget) -> str:
    return target.rule.account.language or "en"


# --- email ---------------------------------------------------------------------------------------


def _summary_lines(event: dict[str, Any]) -> list[str]:
    # isinstance() on a .get() result does not narrow it: the cast says what it checked.
    detail = cast(
        "dict[str, Any]", event.get("detail") if isinstance(event.get("detail"), dict) else {}
    )
    lines = [
        _("Event: %(type)s") % {"type": event.get("detail-type", "")},
        _("Source: %(source)s") % {"source": event.get("source", "")},
        _("Time: %(time)s") % {"time": event.get("time", "")},
        _("Account: %(account)s") % {"account": event.get("account", "")},
        _("Event ID: %(id)s") % {"id": event.get("id", "")},
    ]
    if event.get("resources"):
        lines.append(_("Resources: %(resources)s") % {"resources": ", ".join(event["resources"])})
    if detail:
        lines.append(_("Details:"))
        for key, value in detail.items():
            shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
            lines.append(f"  {key}: {shown}")
    return lines


def _email_subject(event: dict[str, Any]) -> str:
    # isinstance() on a .get() result does not narrow it: the cast says what it checked.
    detail = cast(
        "dict[str, Any]", event.get("detail") if isinstance(event.get("detail"), dict) else {}
    )
    if "event-name" in detail and "display-id" in detail:
        about = _("case %(id)s, %(name)s") % {
            "id": detail["display-id"],
            "name": detail["event-name"],
        }
    elif "check-name" in detail:
        about = f"{detail['check-name']}: {detail.get('status', '')}"
    else:
        about = str(event.get("source", ""))
    return " ".join(f"[Support Center] {event.get('detail-type', '')} ({about})".split())[:300]


def send_email(delivery: EventDelivery, target: EventTarget) -> Outcome:
    """The event as a plain-text email (a summary, then the JSON) to a confirmed address."""
    event = ordered_event(delivery.event)
    rule = target.rule
    link = settings.SITE_URL.rstrip("/") + reverse("events:rule", args=[rule.name])
    with translation.override(_language(target)):
        subject = _email_subject(event)
        text = "\n".join(
            [
                _('An event matched your rule "%(rule)s".') % {"rule": rule.name},
                "",
                *_summary_lines(event),
                "",
                _("The event (JSON):"),
                event_text(event),
                "",
                _("Delivery %(id)s. Manage the rule: %(link)s")
                % {"id": delivery.delivery_id, "link": link},
            ]
        )
    try:
        send_mail(
            subject,
            text,
            settings.DEFAULT_FROM_EMAIL,
            [target.email],
            fail_silently=False,
        )
    except Exception as error:  # SMTP, network: retried later
        return Outcome(ok=False, error=f"{type(error).__name__}: {error}")
    return Outcome(ok=True, response_excerpt=Phrase(MSG_SENT_TO, {"email": target.email}))


def send_confirmation(delivery: EventDelivery, target: EventTarget) -> Outcome:
    """The email asking the recipient to confirm (its link is signed now, so it is valid for
    CONFIRMATION_MAX_AGE from this send)."""
    if target.confirmation_status != ConfirmationStatus.PENDING:
        # Confirmed while this waited: there is nothing to ask any more.
        return Outcome(ok=True, response_excerpt=Phrase(MSG_ALREADY_CONFIRMED))
    with translation.override(_language(target)):
        subject, text = confirmation_email(target)
    message = EmailMessage(
        subject,
        text,
        settings.DEFAULT_FROM_EMAIL,
        [target.email],
        headers={"Auto-Submitted": "auto-generated"},
    )
    try:
        message.send()
    except Exception as error:  # SMTP, network: retried later
        return Outcome(ok=False, error=f"{type(error).__name__}: {error}")
    return Outcome(ok=True, response_excerpt=Phrase(MSG_SENT_TO, {"email": target.email}))


# --- SNS and SQS ---------------------------------------------------------------------------------


def _aws_client(target: EventTarget, service: str) -> Any:
    """A client for the target's region in the account's connected AWS environment."""
    session, endpoint_url = sessions.aws_session(target.rule.account)
    region = target.arn.split(":")[3]
    return session.client(
        service,
        region_name=region,
        endpoint_url=endpoint_url,
        config=Config(connect_timeout=5, read_timeout=10, retries={"max_attempts": 2}),
    )


def _aws_call(call: Any) -> Outcome:
    try:
        response = call()
    except SupportApiError as error:  # AwsConnectionNotConfigured and the like
        return Outcome(ok=False, error=_api_error(error))
    except ClientError as error:
        info = error.response.get("Error", {})
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return Outcome(
            ok=False,
            http_status=status,
            error=f"{info.get('Code', 'ClientError')}: {info.get('Message', '')}",
        )
    except BotoCoreError as error:  # endpoint unreachable, credentials missing
        return Outcome(ok=False, error=f"{type(error).__name__}: {error}")
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return Outcome(
        ok=True, http_status=status, response_excerpt=f"MessageId: {response['MessageId']}"
    )


def _api_error(error: SupportApiError) -> str | Phrase:
    """A service's refusal as the log keeps it: its message translated on the page as it would
    be on any other (`display_message`)."""
    if not error.params and "{" in error.template:
        # A message written out by its raiser, braces and all: not a template to fill in.
        return f"{error.code}: {error.message}"
    message = Phrase(error.template, error.params)
    return Phrase(NAMED_ERROR, {"name": error.code, "message": message})


def _fifo_fields(delivery: EventDelivery, target: EventTarget) -> dict[str, str]:
    # FIFO topics and queues need a group; the delivery id deduplicates a repeated send.
    if not target.arn.endswith(".fifo"):
        return {}
    return {
        "MessageGroupId": target.rule.name,
        "MessageDeduplicationId": delivery.delivery_id.hex,
    }


def send_sns(delivery: EventDelivery, target: EventTarget) -> Outcome:
    """Publish the event JSON to the target's SNS topic."""

    def call() -> Any:
        client = _aws_client(target, "sns")
        return client.publish(
            TopicArn=target.arn,
            Message=event_body(delivery.event).decode("utf-8"),
            **_fifo_fields(delivery, target),
        )

    return _aws_call(call)


def send_sqs(delivery: EventDelivery, target: EventTarget) -> Outcome:
    """Send the event JSON to the target's SQS queue (its URL looked up by name and owner)."""

    def call() -> Any:
        client = _aws_client(target, "sqs")
        _arn, _partition, _service, _region, owner, queue_name = target.arn.split(":", 5)
        queue_url = client.get_queue_url(QueueName=queue_name, QueueOwnerAWSAccountId=owner)[
            "QueueUrl"
        ]
        return client.send_message(
            QueueUrl=queue_url,
            MessageBody=event_body(delivery.event).decode("utf-8"),
            **_fifo_fields(delivery, target),
        )

    return _aws_call(call)
