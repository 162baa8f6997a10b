-- name: CustomerByEmail :one
SELECT * FROM customers WHERE email = :email;

-- name: CustomersIn :many
-- param countries: list[str]
SELECT id, email, note FROM customers WHERE country IN (:countries) ORDER BY email;

-- name: InvoiceTotals :many
-- column invoices: int
-- column total: Decimal | None
SELECT c.id, c.email, count(i.id) AS invoices, sum(i.total) AS total
FROM customers c LEFT JOIN invoices i ON i.customer_id = c.id
WHERE c.country = :country
GROUP BY c.id, c.email;

-- name: InvoicesAfter :many_after
-- unique: id
SELECT id, customer_id, issued FROM invoices WHERE customer_id = :customer_id ORDER BY issued, id;

-- name: SetNote :execrows
UPDATE customers SET note = :note WHERE country = :country;

-- name: DropInvoices :exec
DELETE FROM invoices WHERE customer_id = :customer_id;
