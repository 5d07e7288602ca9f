-- The example shop's tables (SQLite; for MySQL add AUTO_INCREMENT to the id columns).
-- Money is stored as DECIMAL(10,2) ex VAT, VAT as a whole percent. The scripts' own table (the
-- replay guard) is in specter.sql.
CREATE TABLE categories (
    id INTEGER PRIMARY KEY,
    name VARCHAR(100) NOT NULL,
    parent_id INTEGER NULL,
    active INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE products (
    id INTEGER PRIMARY KEY,
    sku VARCHAR(50) NOT NULL UNIQUE,
    name VARCHAR(140) NOT NULL,
    price DECIMAL(10,2) NOT NULL,
    vat INTEGER NOT NULL DEFAULT 25,
    stock INTEGER NULL,
    weight DECIMAL(10,3) NULL,
    description TEXT NULL,
    category_id INTEGER NULL,
    -- A variant: the product it is a variant of. It has its own article number, price and
    -- stock; the product it belongs to is not sold itself.
    parent_id INTEGER NULL REFERENCES products (id)
);
CREATE INDEX products_parent ON products (parent_id);
CREATE TABLE customers (
    id INTEGER PRIMARY KEY,
    email VARCHAR(100) NOT NULL,
    first_name VARCHAR(50) NOT NULL DEFAULT '',
    last_name VARCHAR(50) NOT NULL DEFAULT '',
    company VARCHAR(100) NOT NULL DEFAULT '',
    org_no VARCHAR(20) NOT NULL DEFAULT '',
    phone VARCHAR(50) NOT NULL DEFAULT '',
    address VARCHAR(100) NOT NULL DEFAULT '',
    zip VARCHAR(10) NOT NULL DEFAULT '',
    city VARCHAR(50) NOT NULL DEFAULT '',
    country CHAR(2) NOT NULL DEFAULT 'SE'
);
-- Fields of the shop's own on its customer form ("Kundnummer", "Referens", ...).
CREATE TABLE customer_fields (
    customer_id INTEGER NOT NULL,
    name VARCHAR(50) NOT NULL,
    value VARCHAR(255) NOT NULL,
    PRIMARY KEY (customer_id, name)
);
CREATE TABLE orders (
    id INTEGER PRIMARY KEY,
    number VARCHAR(20) NOT NULL,
    status VARCHAR(20) NOT NULL DEFAULT 'processing',
    currency CHAR(3) NOT NULL DEFAULT 'SEK',
    customer_id INTEGER NULL,
    email VARCHAR(100) NOT NULL,
    first_name VARCHAR(50) NOT NULL DEFAULT '',
    last_name VARCHAR(50) NOT NULL DEFAULT '',
    company VARCHAR(100) NOT NULL DEFAULT '',
    org_no VARCHAR(20) NOT NULL DEFAULT '',  -- the buyer's organisation (or person) number
    address VARCHAR(100) NOT NULL DEFAULT '',
    zip VARCHAR(10) NOT NULL DEFAULT '',
    city VARCHAR(50) NOT NULL DEFAULT '',
    country CHAR(2) NOT NULL DEFAULT 'SE',
    phone VARCHAR(50) NOT NULL DEFAULT '',
    shipping_method VARCHAR(50) NOT NULL DEFAULT '',
    shipping_name VARCHAR(100) NOT NULL DEFAULT '',
    shipping_price DECIMAL(10,2) NULL,
    payment_method VARCHAR(50) NOT NULL DEFAULT '',
    payment_title VARCHAR(100) NOT NULL DEFAULT '',
    payment_reference VARCHAR(100) NOT NULL DEFAULT '',
    payment_fee DECIMAL(10,2) NULL,
    note TEXT NULL,
    specter_order_no VARCHAR(20) NULL,
    tracking_numbers VARCHAR(200) NULL,
    created_at VARCHAR(25) NULL
);
CREATE TABLE order_rows (
    id INTEGER PRIMARY KEY,
    order_id INTEGER NOT NULL,
    product_id INTEGER NULL,
    sku VARCHAR(50) NOT NULL,
    name VARCHAR(140) NOT NULL,
    quantity INTEGER NOT NULL,
    price DECIMAL(10,2) NOT NULL,
    vat INTEGER NOT NULL DEFAULT 25,
    discount DECIMAL(10,2) NULL
);
-- Fields of the shop's own at checkout ("Leveransinstruktion", ...).
CREATE TABLE order_fields (
    order_id INTEGER NOT NULL,
    name VARCHAR(50) NOT NULL,
    value VARCHAR(255) NOT NULL,
    PRIMARY KEY (order_id, name)
);
-- Gift cards that paid (part of) an order: the amount taken off the order's total.
CREATE TABLE order_gift_cards (
    id INTEGER PRIMARY KEY,
    order_id INTEGER NOT NULL,
    code VARCHAR(50) NOT NULL,
    amount DECIMAL(10,2) NOT NULL
);
