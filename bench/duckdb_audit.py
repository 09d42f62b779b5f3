"""Runs duckdb_audit.sql on one CSV file; prints the flagged persons, one per line.

    python3 bench/duckdb_audit.py FILE.csv [--count]
"""
import pathlib
import sys

import duckdb

path = sys.argv[1]
sql = (pathlib.Path(__file__).parent / "duckdb_audit.sql").read_text().replace("{path}", path.replace("'", "''"))
connection = duckdb.connect()
# Statements end with ";" (no ";" appears inside them); the last one is the query.
*setup, query = [statement for statement in sql.split(";") if statement.strip()]
for statement in setup:
    connection.execute(statement)
rows = connection.execute(query).fetchall()
if "--count" in sys.argv:
    print(len(rows))
else:
    for (person_id,) in rows:
        print(person_id)
