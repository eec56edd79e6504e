"""API keys: hashed, mapped to one tenant, revocable by id or unique prefix."""

from __future__ import annotations

import secrets
import uuid

from domain.keys import KEY_PREFIX, ApiKey, hash_key
from ports.keys import ApiKeyStore
from tests.conftest import FakeClock


def _key(tenant: str, clock: FakeClock, *, label: str = "") -> tuple[str, ApiKey]:
    secret = KEY_PREFIX + secrets.token_urlsafe(24)
    return secret, ApiKey(
        id=str(uuid.uuid4()),
        tenant_id=tenant,
        key_hash=hash_key(secret),
        prefix=secret[:12],
        label=label,
        created_at=clock.now(),
    )


def test_a_key_maps_its_hash_to_its_tenant(
    key_store: ApiKeyStore, tenant: str, clock: FakeClock
) -> None:
    secret, key = _key(tenant, clock, label="ci")
    key_store.add_key(key)
    assert key_store.tenant_for(hash_key(secret)) == tenant
    assert key_store.tenant_for(hash_key(secret + "x")) is None
    assert key_store.list_keys(tenant) == (key,)


def test_list_keys_is_per_tenant_and_oldest_first(
    key_store: ApiKeyStore, tenant: str, clock: FakeClock
) -> None:
    other = str(uuid.uuid4())
    mine = [_key(tenant, clock)[1] for _ in range(3)]
    theirs = _key(other, clock)[1]
    for k in (mine[0], theirs, mine[1], mine[2]):
        key_store.add_key(k)
    assert key_store.list_keys(tenant) == tuple(mine)
    assert key_store.list_keys(other) == (theirs,)
    everyone = key_store.list_keys()
    assert [k.id for k in everyone if k.id in {m.id for m in mine} | {theirs.id}] == [
        mine[0].id,
        mine[1].id,
        mine[2].id,
        theirs.id,
    ]


def test_revoked_keys_stop_answering(key_store: ApiKeyStore, tenant: str, clock: FakeClock) -> None:
    s1, k1 = _key(tenant, clock)
    s2, k2 = _key(tenant, clock)
    key_store.add_key(k1)
    key_store.add_key(k2)
    now = clock.now()
    assert key_store.revoke_key(k1.id, now=now) is True
    assert key_store.tenant_for(hash_key(s1)) is None
    assert key_store.tenant_for(hash_key(s2)) == tenant
    assert key_store.revoke_key(k1.id, now=clock.now()) is False
    assert key_store.revoke_key(k2.prefix, now=clock.now()) is True
    assert key_store.tenant_for(hash_key(s2)) is None
    assert key_store.revoke_key(str(uuid.uuid4()), now=clock.now()) is False
    listed = {k.id: k for k in key_store.list_keys(tenant)}
    assert listed[k1.id].revoked_at == now and not listed[k1.id].active
