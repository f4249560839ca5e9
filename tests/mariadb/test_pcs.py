"""The installed agent as admins meet it: the seeds' pcs lines with the provider changed."""

from __future__ import annotations

import pytest

from tests.lab.install import run_installed

pytestmark = [pytest.mark.check]

# Seed 001, as written for ocf:heartbeat:mysql (CentOS paths), with only the provider changed.
SEED_001 = ['binary=/usr/bin/mysqld_safe', 'config=/etc/my.cnf', 'datadir=/var/lib/mysql',
            'pid=/var/run/mariadb/mariadb.pid', 'socket=/var/lib/mysql/mysql.sock',
            'additional_parameters=--bind-address=0.0.0.0',
            'op', 'start', 'timeout=60s', 'op', 'stop', 'timeout=60s',
            'op', 'monitor', 'interval=20s', 'timeout=30s']
# Seed 002's two replicating servers, the pyha way: a promotable clone with GTID replication.
SEED_002 = ['replication_user=repl', 'replication_passwd=secret', 'max_slave_lag=30',
            'promotable', 'notify=true']


@pytest.mark.parametrize("options", [SEED_001, SEED_002], ids=["seed-001", "seed-002"])
def test_pcs_creates_the_seed_resource_and_the_cib_verifies(offline_cib, options) -> None:
    offline_cib.pcs("resource", "create", "mysql_svc", "ocf:pyha:mariadb", *options)
    text = offline_cib.verify()
    assert 'provider="pyha"' in text and 'type="mariadb"' in text
    if "promotable" in options:
        assert '<clone id="mysql_svc-clone"' in text and 'name="promotable" value="true"' in text
        assert 'role="Promoted"' in text and 'role="Unpromoted"' in text
    else:
        assert 'name="monitor" interval="20s"' in text and 'timeout="30s"' in text


def test_pcs_refuses_an_unknown_option(offline_cib) -> None:
    created = offline_cib.pcs("resource", "create", "db", "ocf:pyha:mariadb",
                              "enable_creation=1", check=False)
    assert created.returncode != 0 and "enable_creation" in created.stderr


def test_crm_resource_validate_runs_validate_all(installed) -> None:
    bad = run_installed(installed, ["crm_resource", "--validate", "--class", "ocf",
                                    "--provider", "pyha", "--agent", "mariadb",
                                    "--option", "max_slave_lag=-5"])
    assert bad.returncode == 6
    assert "max_slave_lag='-5'" in bad.stdout + bad.stderr
