"""core.rawload: instances made from rows are the ORM's own, field for field, and behave as
loaded ones do (saved as updates, related objects fetched, refreshed)."""

from __future__ import annotations

from datetime import UTC

from django.db.models import signals

from accounts.models import AccessKey, Account, User
from accounts.services import access_key_create
from cases.models import Case, Communication
from catalog.models import SupportPlan
from core import rawload
from tests import factories


def _row(model, pk):  # type: ignore[no-untyped-def]
    table = rawload.quote(model._meta.db_table)
    return rawload.fetch_all(
        f"SELECT {rawload.columns(model, table)} FROM {table} WHERE {rawload.quote('id')} = %s",
        [pk],
    )[0]


def _fields(obj) -> dict:  # type: ignore[no-untyped-def]
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


def test_instances_equal_what_the_orm_loads(business_account, root) -> None:
    case = factories.make_case(business_account, root)
    communication = case.communications.first()
    key, _secret = access_key_create(user=root.user, actor=root)
    for model, pk in (
        (Case, case.pk),
        (Communication, communication.pk),
        (Account, business_account.pk),
        (User, root.user.pk),
        (AccessKey, key.pk),
        (SupportPlan, business_account.plan_id),
    ):
        made = rawload.instance(model, _row(model, pk))
        loaded = model.objects.get(pk=pk)
        assert type(made) is model
        assert _fields(made) == _fields(loaded)
        assert (made._state.adding, made._state.db) == (False, "default")
    made = rawload.instance(Case, _row(Case, case.pk))
    # Aware datetimes in UTC, as Django gives them.
    assert made.created_at.tzinfo is not None
    assert made.created_at.utcoffset() == UTC.utcoffset(None)
    assert made.created_at == case.created_at


def test_an_instance_behaves_as_a_loaded_one(business_account, root) -> None:
    case = factories.make_case(business_account, root)
    made = rawload.instance(Case, _row(Case, case.pk))
    assert made.account == business_account  # a foreign key fetched on first use
    assert made.submitter == root.user
    made.subject = "Renamed"
    made.save(update_fields=["subject"])  # an UPDATE: the instance is not new
    assert Case.objects.filter(pk=case.pk, subject="Renamed").exists()
    assert Case.objects.count() == 1
    made.subject = "stale"
    made.refresh_from_db()
    assert made.subject == "Renamed"
    # Changing a foreign key's id drops the cached related object, as on a loaded instance.
    other = factories.make_account(plan="business", account_id="210987654321")
    made.account_id = other.pk
    assert made.account == other


def test_a_model_with_init_receivers_goes_through_its_init(business_account, root) -> None:
    seen = []

    def receiver(sender, instance, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(instance.pk)

    key, _secret = access_key_create(user=root.user, actor=root)
    signals.post_init.connect(receiver, sender=AccessKey)
    rawload._makers.cache_clear()
    try:
        made = rawload.instance(AccessKey, _row(AccessKey, key.pk))
    finally:
        signals.post_init.disconnect(receiver, sender=AccessKey)
        rawload._makers.cache_clear()
    assert seen == [key.pk]
    assert _fields(made) == _fields(AccessKey.objects.get(pk=key.pk))
