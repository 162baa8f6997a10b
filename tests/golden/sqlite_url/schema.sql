-- A live SQLite database (the test builds lite.db from this script, then runs `generate --url`):
-- a CHECK enum and a CHECK boolean, a WITHOUT ROWID table, a composite key and a composite
-- foreign key, a view.
CREATE TABLE kinds (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name VARCHAR(20) NOT NULL UNIQUE,
  status TEXT NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'open', 'done')),
  active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
  born DATE,
  data BLOB
);
CREATE TABLE codes (code TEXT PRIMARY KEY, kind_id INTEGER REFERENCES kinds (id)) WITHOUT ROWID;
CREATE TABLE pairs (a INTEGER, b INTEGER, note TEXT, PRIMARY KEY (a, b));
CREATE TABLE pair_children (
  id INTEGER PRIMARY KEY, pa INTEGER, pb INTEGER,
  FOREIGN KEY (pa, pb) REFERENCES pairs (a, b) ON DELETE CASCADE
);
CREATE VIEW kind_names AS SELECT id, name FROM kinds;
