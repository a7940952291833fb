"""Auto-compaction decisions and etcd-style member/cluster IDs."""

import pytest

from kubelite.store.compactor import Compactor, parse_retention
from kubelite.store.identity import cluster_id, member_id, parse_initial_cluster


def test_parse_retention():
    assert parse_retention("periodic", "1") == 3600.0
    assert parse_retention("periodic", "1h30m") == 5400.0
    assert parse_retention("periodic", "10s") == 10.0
    assert parse_retention("periodic", "0") == 0.0
    assert parse_retention("revision", "100") == 100.0
    for mode, bad in (("revision", "1h"), ("periodic", "ten"), ("hourly", "1")):
        with pytest.raises(ValueError):
            parse_retention(mode, bad)


def test_revision_mode_keeps_the_last_n_revisions():
    c = Compactor("revision", 100)
    assert c.tick(0, 50) is None
    assert c.tick(300, 1000) == 900
    assert c.tick(301, 2000) is None  # not yet time to look again
    assert c.tick(600, 2000) == 1900


def test_periodic_mode_compacts_to_the_revision_from_retention_ago():
    c = Compactor("periodic", 10.0)
    revisions = {0: 5, 1: 9, 2: 14, 10: 40, 11: 44, 12: 50}
    got = {t: c.tick(float(t), rev) for t, rev in revisions.items()}
    assert got[0] is None and got[1] is None and got[2] is None
    assert got[10] == 5
    assert got[11] == 9
    assert got[12] == 14


def test_disabled_never_compacts():
    c = Compactor("periodic", 0)
    assert not c.enabled
    assert c.tick(10_000, 10_000) is None


def test_ids_as_etcd_derives_them():
    # Values read off a real etcd 3.4 started with these flags.
    members = parse_initial_cluster("default=http://127.0.0.1:23801", "tok")
    assert members[0].id == 4627081221937520288
    assert members[0].id == member_id(["http://127.0.0.1:23801"], "tok")
    assert cluster_id([members[0].id]) == 2478302587001825083


def test_initial_cluster_errors():
    with pytest.raises(ValueError):
        parse_initial_cluster("default", "t")
