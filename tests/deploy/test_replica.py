"""Reads inside `reading_from_replica()` go to the replica alias; everything else to default.

A fresh process gets DATABASE_REPLICA_URL naming the same SQLite file as DATABASE_URL: two
connections to one database, as a replica is a second view of the primary's data (and as Django's
TEST MIRROR makes it in a test run with a replica configured). Which connection ran each query
is read from the connections' own query logs.
"""

from tests.deploy.processes import base_env, run_python

SCRIPT = """
import json
import django
django.setup()
from django.conf import settings
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connections, router, transaction
from django.test.utils import CaptureQueriesContext

from config.routers import reading_from_replica

call_command("migrate", "auth", verbosity=0)
ContentType.objects.create(app_label="deploy", model="first")


def ran_on(action):
    with CaptureQueriesContext(connections["default"]) as on_default, CaptureQueriesContext(
        connections["replica"]
    ) as on_replica:
        action()
    return {"default": len(on_default), "replica": len(on_replica)}


def read():
    return ContentType.objects.filter(app_label="deploy").count()


def read_in_block():
    with reading_from_replica():
        read()


@reading_from_replica()
def read_decorated():
    read()


def write_in_block():
    with reading_from_replica():
        ContentType.objects.create(app_label="deploy", model="second")


def relation_across_aliases():
    with reading_from_replica():
        content_type = ContentType.objects.get(app_label="deploy", model="first")
    Permission.objects.create(content_type=content_type, codename="x", name="x")


def uncommitted_write_then_read():
    seen = {}
    with transaction.atomic():
        ContentType.objects.create(app_label="deploy", model="third")
        with reading_from_replica():
            seen["in_transaction"] = ContentType.objects.filter(model="third").exists()
        seen["replica_connection"] = (
            ContentType.objects.using("replica").filter(model="third").exists()
        )
    return seen


seen = {}
print(json.dumps({
    "routers": settings.DATABASE_ROUTERS,
    "outside": ran_on(read),
    "inside": ran_on(read_in_block),
    "decorated": ran_on(read_decorated),
    "after": ran_on(read),
    "write_inside": ran_on(write_in_block),
    "relation": ran_on(relation_across_aliases),
    "uncommitted": ran_on(lambda: seen.update(uncommitted_write_then_read())),
    "seen": seen,
    "migrate_replica": router.allow_migrate("replica", "auth"),
    "migrate_default": router.allow_migrate("default", "auth"),
}))
"""


def test_only_reads_inside_reading_from_replica_go_to_the_replica(tmp_path):
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    found = run_python(SCRIPT, base_env(DATABASE_URL=url, DATABASE_REPLICA_URL=url))

    assert found["routers"] == ["config.routers.ReplicaRouter"]
    assert found["outside"] == {"default": 1, "replica": 0}
    assert found["inside"] == {"default": 0, "replica": 1}
    assert found["decorated"] == {"default": 0, "replica": 1}
    assert found["after"] == {"default": 1, "replica": 0}, "the block must end with itself"
    # The INSERT, inside its transaction: writes never go to the replica.
    assert found["write_inside"]["replica"] == 0
    assert found["write_inside"]["default"] >= 1
    # The content type read from the replica, then a permission saved with it on default.
    assert found["relation"]["replica"] == 1
    assert found["relation"]["default"] >= 1
    # Inside a transaction on default a read stays there and sees the transaction's own write,
    # which the replica's connection cannot see yet.
    assert found["seen"] == {"in_transaction": True, "replica_connection": False}
    assert found["migrate_replica"] is False
    assert found["migrate_default"] is True


def test_without_a_replica_reading_from_replica_reads_the_default_database(tmp_path):
    script = """
import json
import django
django.setup()
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connections
from django.test.utils import CaptureQueriesContext

from config.routers import reading_from_replica

call_command("migrate", "contenttypes", verbosity=0)
with CaptureQueriesContext(connections["default"]) as on_default, reading_from_replica():
    ContentType.objects.count()
print(json.dumps({"routers": settings.DATABASE_ROUTERS, "aliases": list(settings.DATABASES),
                  "default": len(on_default)}))
"""
    found = run_python(script, base_env(DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}"))
    assert found == {"routers": [], "aliases": ["default"], "default": 1}
