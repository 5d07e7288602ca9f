<?php
// Asks the gateway to import Specter's articles into this shop (the "get_specter_articles"
// step of the legacy PHP connector). The gateway then calls gateway.php (upsert_category,
// upsert_product). Its URL, token included, is config's import_url, as the gateway's console
// shows it; a configuration from contract v1 builds it from gateway_url, tenant_id and
// inbound_token instead.
declare(strict_types=1);

require_once __DIR__ . '/lib.php';

$c = specter_config();
$url = (string)($c['import_url'] ?? '');
if ($url === '') {
    $url = rtrim((string)$c['gateway_url'], '/') . '/shops/' . rawurlencode((string)$c['tenant_id'])
        . '/get_specter_articles?token=' . rawurlencode((string)$c['inbound_token']);
}
[$status, $answer] = specter_http_post($url, '', ['Content-Type' => 'application/json']);
$ok = $status >= 200 && $status < 300;
if (PHP_SAPI !== 'cli') {
    header('Content-Type: text/plain; charset=utf-8');
    http_response_code($ok ? 200 : 502);
}
if ($ok) {
    echo "Product import started.\n";
} else {
    // The gateway's error says why (the import is off, the token was rotated); never the URL,
    // which holds the token.
    $error = json_decode($answer, true)['error'] ?? '';
    echo 'The gateway answered ' . ($status ?: 'nothing') . (is_string($error) && $error !== '' ? ": $error" : '') . ".\n";
}
exit($ok ? 0 : 1);
