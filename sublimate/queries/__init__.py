"""Typed SQL: annotated `.sql` files checked against the schema, one typed function per query.

The pipeline is the generator's, one way: `parse` reads the files (annotations, named
parameters, hints, line numbers), a describer asks the database what each statement takes and
returns (`describe_pg` through the server's own describe; `describe_sqlite` by preparing the
statement against an empty in-memory copy of the schema; `describe_mariadb` by a rolled-back
run on an empty scratch database), `build` turns both into the IR
(`ir.QueryFile`), `view` prepares what `templates/queries.py.jinja` prints.
"""
