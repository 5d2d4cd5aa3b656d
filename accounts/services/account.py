"""What an account's root user changes on My Account: contact information and the alternate
contacts (billing, operations, security), audited under AWS Account Management's names. (The
support plan is changed by `cases.services.plans`, which also confirms it by email.)"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext_noop

from accounts.models import Account, AlternateContact, AlternateContactType
from accounts.principals import Principal
from accounts.services.operators import account_update
from accounts.services.validation import clean_email, clean_phone
from audit import services as audit
from audit.names import ACCOUNT_SOURCE, AuditEventName
from core.errors import InvalidParameterValueException

MSG_CONTACT_TYPE = gettext_noop("The contact type must be BILLING, OPERATIONS or SECURITY.")
MSG_CONTACT_NAME = gettext_noop("An alternate contact needs a name.")


def account_contact_update(
    *,
    account: Account,
    actor: Principal,
    name: str,
    contact_email: str,
    contact_phone: str,
    country: str,
    time_zone: str,
    language: str,
) -> Account:
    """The account's name, contact address and phone, country (public holidays), time zone
    (business hours and every time its users see) and default language (PutContactInformation).
    Raises `InvalidParameterValueException` naming the field."""
    return account_update(
        account=account,
        actor=actor,
        name=name,
        contact_email=contact_email,
        contact_phone=contact_phone,
        country=country,
        time_zone=time_zone,
        language=language,
        event_name=AuditEventName.PUT_CONTACT_INFORMATION,
    )


@transaction.atomic
def alternate_contact_put(
    *,
    account: Account,
    actor: Principal,
    contact_type: str,
    name: str,
    email: str,
    title: str = "",
    phone: str = "",
) -> AlternateContact:
    """Create or replace the account's contact of `contact_type` (PutAlternateContact)."""
    if contact_type not in AlternateContactType.values:
        raise InvalidParameterValueException(MSG_CONTACT_TYPE, field="contact_type")
    name = name.strip()
    if not name:
        raise InvalidParameterValueException(MSG_CONTACT_NAME, field="name")
    values = {
        "name": name[:64],
        "title": title.strip()[:50],
        "email": clean_email(email),
        "phone": clean_phone(phone),
    }
    contact, _created = AlternateContact.objects.update_or_create(
        account=account, contact_type=contact_type, defaults=values
    )
    audit.record(
        actor=actor,
        event_name=AuditEventName.PUT_ALTERNATE_CONTACT,
        event_source=ACCOUNT_SOURCE,
        account=account,
        request_parameters={"alternateContactType": contact_type, "title": values["title"]},
    )
    return contact


@transaction.atomic
def alternate_contact_delete(*, account: Account, actor: Principal, contact_type: str) -> bool:
    """Remove the account's contact of `contact_type` (DeleteAlternateContact); False when
    there was none."""
    deleted, _ = AlternateContact.objects.filter(
        account=account, contact_type=contact_type
    ).delete()
    if deleted:
        audit.record(
            actor=actor,
            event_name=AuditEventName.DELETE_ALTERNATE_CONTACT,
            event_source=ACCOUNT_SOURCE,
            account=account,
            request_parameters={"alternateContactType": contact_type},
        )
    return bool(deleted)
