-- Typed SQL on a live SQLite database (the test builds lite.db from this script): queries/*.sql
-- read these tables; every command, a row that is a model's Read DTO, an IN list, a keyset page.
CREATE TABLE customers (
  id INTEGER PRIMARY KEY,
  email VARCHAR(120) NOT NULL UNIQUE,
  country TEXT NOT NULL,
  note TEXT
);
CREATE TABLE invoices (
  id INTEGER PRIMARY KEY,
  customer_id INTEGER NOT NULL REFERENCES customers (id),
  issued DATE NOT NULL,
  total NUMERIC(10, 2) NOT NULL
);
