<?php
// The shop's data as contract v2 shapes it. This is the one file to adapt to another shop's
// tables; gateway.php only calls these functions. Money goes out as decimal strings ex VAT.
declare(strict_types=1);

require_once __DIR__ . '/lib.php';

class SpecterNotFound extends RuntimeException
{
}

function specter_money($value): ?string
{
    return $value === null || $value === '' ? null : number_format((float)$value, 2, '.', '');
}

function specter_one(string $sql, array $args): ?array
{
    $st = specter_db()->prepare($sql);
    $st->execute($args);
    $row = $st->fetch();
    return $row === false ? null : $row;
}

/** name => value of a shop's own fields (customer_fields, order_fields) for one row. */
function specter_fields(string $table, string $column, $id): array
{
    if ($id === null) {
        return [];
    }
    $st = specter_db()->prepare("SELECT name, value FROM $table WHERE $column = ? ORDER BY name");
    $st->execute([$id]);
    $fields = [];
    foreach ($st->fetchAll() as $f) {
        $fields[$f['name']] = (string)$f['value'];
    }
    return $fields;
}

function specter_page(string $sql, array $params): array
{
    $perPage = max(1, min(500, (int)($params['per_page'] ?? 100)));
    $page = max(1, (int)($params['page'] ?? 1));
    $st = specter_db()->prepare($sql . ' ORDER BY id LIMIT ? OFFSET ?');
    $st->bindValue(1, $perPage + 1, PDO::PARAM_INT); // one more tells whether a next page exists
    $st->bindValue(2, ($page - 1) * $perPage, PDO::PARAM_INT);
    $st->execute();
    $rows = $st->fetchAll();
    return [array_slice($rows, 0, $perPage), count($rows) > $perPage];
}

/** A product; a product sold as variants lists them (each a product with its own article
 *  number and a parent_id), a variant names its parent. */
function shop_product(array $row, bool $withVariants = true): array
{
    if ($row['parent_id'] !== null) { // what a variant leaves empty, it has of its product
        $parent = specter_one('SELECT * FROM products WHERE id = ?', [$row['parent_id']]) ?? [];
        foreach (['weight', 'description', 'category_id'] as $key) {
            if (($row[$key] ?? null) === null || $row[$key] === '') {
                $row[$key] = $parent[$key] ?? null;
            }
        }
    }
    $category = $row['category_id'] === null ? null
        : specter_one('SELECT id, name FROM categories WHERE id = ?', [$row['category_id']]);
    $product = [
        'id' => (string)$row['id'], 'sku' => $row['sku'], 'name' => $row['name'],
        'price' => specter_money($row['price']), 'vat' => (string)$row['vat'],
        'stock' => $row['stock'] === null ? null : (int)$row['stock'],
        'weight' => $row['weight'] === null ? null : (string)$row['weight'],
        'description' => (string)($row['description'] ?? ''),
        'category' => $category === null ? null : ['id' => (string)$category['id'], 'name' => $category['name']],
    ];
    if ($row['parent_id'] !== null) {
        $product['parent_id'] = (string)$row['parent_id'];
    } elseif ($withVariants) {
        $st = specter_db()->prepare('SELECT * FROM products WHERE parent_id = ? ORDER BY id');
        $st->execute([$row['id']]);
        $variants = array_map(fn(array $v) => shop_product($v, false), $st->fetchAll());
        if ($variants) {
            $product['variants'] = $variants;
        }
    }
    return $product;
}

function shop_customer(array $row): array
{
    return [
        'id' => (string)$row['id'], 'email' => $row['email'], 'first_name' => $row['first_name'],
        'last_name' => $row['last_name'], 'company' => $row['company'], 'org_no' => $row['org_no'],
        'phone' => $row['phone'],
        'address' => ['line1' => $row['address'], 'zip' => $row['zip'], 'city' => $row['city'], 'country' => $row['country']],
        'custom_fields' => (object)specter_fields('customer_fields', 'customer_id', $row['id']),
    ];
}

function shop_get_product(array $p): array
{
    $row = specter_one('SELECT * FROM products WHERE id = ?', [$p['id'] ?? '']);
    if ($row === null) {
        throw new SpecterNotFound('no product with id ' . ($p['id'] ?? ''));
    }
    return shop_product($row);
}

function shop_find_product(array $p): array
{
    $row = specter_one('SELECT id FROM products WHERE sku = ?', [(string)($p['sku'] ?? '')]);
    if ($row === null) {
        throw new SpecterNotFound('no product with article number ' . ($p['sku'] ?? ''));
    }
    return ['id' => (string)$row['id']];
}

function shop_get_customer(array $p): array
{
    $row = specter_one('SELECT * FROM customers WHERE id = ?', [$p['id'] ?? '']);
    if ($row === null) {
        throw new SpecterNotFound('no customer with id ' . ($p['id'] ?? ''));
    }
    return shop_customer($row);
}

function shop_get_order(array $p): array
{
    $o = specter_one('SELECT * FROM orders WHERE id = ?', [$p['id'] ?? '']);
    if ($o === null) {
        throw new SpecterNotFound('no order with id ' . ($p['id'] ?? ''));
    }
    $st = specter_db()->prepare('SELECT * FROM order_rows WHERE order_id = ? ORDER BY id');
    $st->execute([$o['id']]);
    $rows = [];
    foreach ($st->fetchAll() as $r) {
        $rows[] = ['sku' => $r['sku'], 'name' => $r['name'], 'quantity' => (int)$r['quantity'],
            'price' => specter_money($r['price']), 'vat' => (string)$r['vat'],
            'discount' => specter_money($r['discount']), 'product_id' => (string)($r['product_id'] ?? '')];
    }
    $st = specter_db()->prepare('SELECT code, amount FROM order_gift_cards WHERE order_id = ? ORDER BY id');
    $st->execute([$o['id']]);
    $giftCards = [];
    foreach ($st->fetchAll() as $g) {
        $giftCards[] = ['code' => $g['code'], 'amount' => specter_money($g['amount'])];
    }
    return [
        'id' => (string)$o['id'], 'number' => $o['number'], 'status' => $o['status'], 'currency' => $o['currency'],
        'created_at' => $o['created_at'],
        'customer' => [
            'id' => $o['customer_id'] === null ? '' : (string)$o['customer_id'], 'email' => $o['email'],
            'first_name' => $o['first_name'], 'last_name' => $o['last_name'], 'company' => $o['company'],
            'org_no' => $o['org_no'], 'phone' => $o['phone'],
            'address' => ['line1' => $o['address'], 'zip' => $o['zip'], 'city' => $o['city'], 'country' => $o['country']],
            'custom_fields' => (object)specter_fields('customer_fields', 'customer_id', $o['customer_id']),
        ],
        'rows' => $rows,
        'gift_cards' => $giftCards,
        'custom_fields' => (object)specter_fields('order_fields', 'order_id', $o['id']),
        'shipping' => $o['shipping_price'] === null ? null : ['method' => $o['shipping_method'],
            'name' => $o['shipping_name'], 'price' => specter_money($o['shipping_price']), 'vat' => '25'],
        'payment' => ['method' => $o['payment_method'], 'title' => $o['payment_title'],
            'reference' => $o['payment_reference'], 'fee' => specter_money($o['payment_fee']), 'fee_vat' => '25'],
        'note' => (string)($o['note'] ?? ''), 'specter_order_no' => (string)($o['specter_order_no'] ?? ''),
    ];
}

function shop_list_products(array $p): array
{
    // Products, each with its variants: a variant is never an item of its own.
    [$rows, $more] = specter_page('SELECT * FROM products WHERE parent_id IS NULL', $p);
    return ['items' => array_map('shop_product', $rows), 'has_more' => $more];
}

function shop_list_customers(array $p): array
{
    [$rows, $more] = specter_page('SELECT * FROM customers', $p);
    return ['items' => array_map('shop_customer', $rows), 'has_more' => $more];
}

function shop_set_stock(array $p): array
{
    $results = [];
    foreach ($p['items'] ?? [] as $item) {
        $sku = (string)($item['articleNo'] ?? '');
        $row = specter_one('SELECT id FROM products WHERE sku = ?', [$sku]);
        if ($row === null) {
            $results[] = ['articleNo' => $sku, 'ok' => false, 'error' => "no product with article number $sku"];
            continue;
        }
        specter_db()->prepare('UPDATE products SET stock = ? WHERE id = ?')->execute([(int)$item['available'], $row['id']]);
        $results[] = ['articleNo' => $sku, 'ok' => true, 'id' => (string)$row['id']];
    }
    return ['results' => $results];
}

function shop_upsert_category(array $p): array
{
    $parent = null;
    if (!empty($p['parent_name'])) {
        $parent = shop_upsert_category(['name' => $p['parent_name'], 'active' => true])['id'];
    }
    $found = $parent === null
        ? specter_one('SELECT id FROM categories WHERE name = ? AND parent_id IS NULL', [$p['name']])
        : specter_one('SELECT id FROM categories WHERE name = ? AND parent_id = ?', [$p['name'], $parent]);
    if ($found !== null) {
        return ['id' => (string)$found['id']];
    }
    specter_db()->prepare('INSERT INTO categories (name, parent_id, active) VALUES (?, ?, ?)')
        ->execute([$p['name'], $parent, empty($p['active']) ? 0 : 1]);
    return ['id' => specter_db()->lastInsertId()];
}

function shop_upsert_product(array $p): array
{
    $product = $p['product'] ?? [];
    $columns = [];
    foreach (['name', 'price', 'vat', 'stock', 'weight', 'description'] as $key) {
        if (array_key_exists($key, $product)) {
            $columns[$key] = $product[$key];
        }
    }
    if (!empty($p['category_id'])) {
        $columns['category_id'] = (int)$p['category_id'];
    }
    $found = specter_one('SELECT id FROM products WHERE sku = ?', [$product['sku'] ?? '']);
    if ($found === null) {
        $columns['sku'] = $product['sku'];
        $columns += ['name' => $product['sku'], 'price' => '0'];
        $sql = 'INSERT INTO products (' . implode(', ', array_keys($columns)) . ') VALUES ('
            . implode(', ', array_fill(0, count($columns), '?')) . ')';
        specter_db()->prepare($sql)->execute(array_values($columns));
        return ['id' => specter_db()->lastInsertId()];
    }
    if ($columns) {
        $sets = implode(', ', array_map(fn($k) => "$k = ?", array_keys($columns)));
        specter_db()->prepare("UPDATE products SET $sets WHERE id = ?")->execute([...array_values($columns), $found['id']]);
    }
    return ['id' => (string)$found['id']];
}

function shop_set_order_status(array $p): array
{
    shop_get_order($p); // not found: an error object
    $tracking = implode(', ', $p['tracking_numbers'] ?? []);
    specter_db()->prepare('UPDATE orders SET status = COALESCE(?, status), tracking_numbers = COALESCE(NULLIF(?, \'\'), tracking_numbers) WHERE id = ?')
        ->execute([$p['status'] ?? null, $tracking, $p['id']]);
    return ['id' => (string)$p['id']];
}

function shop_set_specter_order_no(array $p): array
{
    shop_get_order($p);
    specter_db()->prepare('UPDATE orders SET specter_order_no = ? WHERE id = ?')->execute([$p['specter_order_no'], $p['id']]);
    return ['id' => (string)$p['id']];
}
