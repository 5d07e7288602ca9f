<?php
// Asks the gateway to import Specter's articles into this shop (the "get_specter_articles"
// step of the legacy PHP connector). The gateway then calls gateway.php (upsert_category, upsert_product).
declare(strict_types=1);

require_once __DIR__ . '/lib.php';

$c = specter_config();
$url = rtrim((string)$c['gateway_url'], '/') . '/shops/' . rawurlencode((string)$c['tenant_id'])
    . '/get_specter_articles?token=' . rawurlencode((string)$c['inbound_token']);
[$status, $answer] = specter_http_post($url, '', ['Content-Type' => 'application/json']);
header('Content-Type: text/plain; charset=utf-8');
http_response_code($status >= 200 && $status < 300 ? 200 : 502);
echo $status >= 200 && $status < 300 ? "Product import started.\n" : "The gateway answered " . ($status ?: 'nothing') . ".\n";
