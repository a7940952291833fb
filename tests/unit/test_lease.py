"""The Lessor: grants, TTL limits, renewals, expiry order, attachments."""

import pytest

from kubelite.store import errors
from kubelite.store.lease import MAX_TTL, MIN_TTL, Lessor


def test_grant_raises_ttl_to_minimum_and_expires_after_it():
    lessor = Lessor()
    lease = lessor.grant(7, 1, now=100.0)
    assert lease.ttl == MIN_TTL
    assert lessor.expired(100.0 + MIN_TTL - 0.01) == []
    assert lessor.expired(100.0 + MIN_TTL) == [7]


def test_grant_refuses_duplicates_and_huge_ttls():
    lessor = Lessor()
    lessor.grant(1, 10, now=0)
    with pytest.raises(errors.EtcdError) as e:
        lessor.grant(1, 10, now=0)
    assert e.value == errors.LEASE_EXIST
    with pytest.raises(errors.EtcdError) as e:
        lessor.grant(2, MAX_TTL + 1, now=0)
    assert e.value == errors.LEASE_TTL_TOO_LARGE


def test_renew_extends_and_refuses_expired_or_unknown():
    lessor = Lessor()
    lessor.grant(1, 10, now=0)
    assert lessor.renew(1, now=8) == 10
    assert lessor.expired(17) == []
    assert lessor.expired(18) == [1]
    with pytest.raises(errors.EtcdError):
        lessor.renew(1, now=18)
    with pytest.raises(errors.EtcdError):
        lessor.renew(99, now=0)


def test_revoke_returns_attached_keys():
    lessor = Lessor()
    lessor.grant(1, 10, now=0)
    lessor.attach(1, b"a")
    lessor.attach(1, b"b")
    lessor.detach(1, b"a")
    assert lessor.revoke(1) == {b"b"}
    assert not lessor.exists(1)
    with pytest.raises(errors.EtcdError) as e:
        lessor.revoke(1)
    assert e.value == errors.LEASE_NOT_FOUND


def test_expired_is_oldest_first_and_limited():
    lessor = Lessor()
    for lease_id, ttl in ((1, 30), (2, 10), (3, 20)):
        lessor.grant(lease_id, ttl, now=0)
    assert lessor.expired(100) == [2, 3, 1]
    assert lessor.expired(100, limit=2) == [2, 3]


def test_promote_gives_restored_leases_a_full_ttl():
    lessor = Lessor()
    lessor.restore(5, 10)
    lessor.promote(now=50)
    assert lessor.expired(59.9) == []
    assert lessor.time_to_live(5, now=52) == (8, 10, [])
