"""Applies mlobs' ClickHouse schema to current ClickHouse (embedded, chdb)
twice, then reads every table with FINAL. Input on stdin: JSON with the
statements and the table names. Prints the server version and, per table,
its engine."""
import json
import sys

from chdb import session

job = json.load(sys.stdin)
db = session.Session()
for _ in range(2):  # the second pass shows the statements are idempotent
    for statement in job["statements"]:
        db.query(statement)
engines = {}
for table in job["tables"]:
    db.query(f"SELECT count() FROM {job['database']}.{table} FINAL")
    engines[table] = str(
        db.query(
            f"SELECT engine FROM system.tables WHERE database = '{job['database']}' AND name = '{table}'",
            "CSV",
        )
    ).strip().strip('"')
version = str(db.query("SELECT version()", "CSV")).strip().strip('"')
print(json.dumps({"version": version, "engines": engines}))
