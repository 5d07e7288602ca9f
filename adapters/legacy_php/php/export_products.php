<?php
// Asks the gateway to export every product and customer to Specter (the legacy PHP connector's
// export_products.php). ?mode=all (or "php export_products.php all") also updates articles
// Specter already has; the default "new" sends only those it lacks.
declare(strict_types=1);

require_once __DIR__ . '/lib.php';

$mode = PHP_SAPI === 'cli' ? ($argv[1] ?? 'new') : ($_GET['mode'] ?? 'new');
$mode = $mode === 'all' ? 'all' : 'new';
$products = specter_event('export.products', '', ['mode' => $mode]);
$customers = specter_event('export.customers', '');
if (PHP_SAPI !== 'cli') {
    header('Content-Type: text/plain; charset=utf-8');
    http_response_code($products && $customers ? 200 : 502);
}
echo $products && $customers ? "Export of products ($mode) and customers started.\n" : "The gateway could not be reached; see the error log.\n";
