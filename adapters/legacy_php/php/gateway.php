<?php
// The one endpoint the gateway calls: POST gateway.php?action=NAME with a signed JSON body.
// Answers {"ok": true, "data": ...} or {"ok": false, "error": {"code", "message"}}.
// Writes made here (stock, products, status) fire no events back: they are the gateway's own.
// Contract v2: the body also carries "action" (so the signature covers what is done) and a
// random "nonce" (so no two calls are alike for the replay guard); a v1 call has neither.
declare(strict_types=1);

require_once __DIR__ . '/shop.php';

function specter_answer(int $status, array $body): void
{
    http_response_code($status);
    header('Content-Type: application/json; charset=utf-8');
    echo json_encode($body, JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES);
    exit;
}

function specter_fail(int $status, string $code, string $message): void
{
    specter_answer($status, ['ok' => false, 'error' => ['code' => $code, 'message' => $message]]);
}

const SPECTER_ACTIONS = [
    'ping' => null,
    'get_order' => 'shop_get_order',
    'get_product' => 'shop_get_product',
    'get_customer' => 'shop_get_customer',
    'find_product' => 'shop_find_product',
    'list_products' => 'shop_list_products',
    'list_customers' => 'shop_list_customers',
    'set_stock' => 'shop_set_stock',
    'upsert_product' => 'shop_upsert_product',
    'upsert_category' => 'shop_upsert_category',
    'set_order_status' => 'shop_set_order_status',
    'set_specter_order_no' => 'shop_set_specter_order_no',
];

if ($_SERVER['REQUEST_METHOD'] !== 'POST') {
    specter_fail(405, 'method_not_allowed', 'use POST');
}
$body = (string)file_get_contents('php://input');
try {
    $problem = specter_verify_request($body);
} catch (PDOException $e) { // e.g. specter.sql was never run: say so, and the gateway tries again later
    error_log('gateway.php replay guard: ' . $e->getMessage());
    specter_fail(500, 'server_error', 'the shop could not check the request against its replay guard (is the specter_seen_requests table there?)');
}
if ($problem !== null) {
    specter_fail(401, 'unauthorized', $problem);
}
$action = (string)($_GET['action'] ?? '');
if (!array_key_exists($action, SPECTER_ACTIONS)) {
    specter_fail(400, 'unknown_action', "unknown action '$action'");
}
$params = $body === '' ? [] : json_decode($body, true);
if (!is_array($params)) {
    specter_fail(400, 'bad_request', 'the body is not a JSON object');
}
if (array_key_exists('action', $params) && $params['action'] !== $action) {
    // Signed for another action: someone moved a captured body to another URL.
    specter_fail(401, 'unauthorized', "the body was signed for action '" . (string)$params['action'] . "', not '$action'");
}
unset($params['action'], $params['nonce']);
try {
    $handler = SPECTER_ACTIONS[$action];
    specter_answer(200, ['ok' => true, 'data' => $handler === null ? ['version' => SPECTER_CONTRACT_VERSION] : $handler($params)]);
} catch (SpecterNotFound $e) {
    specter_fail(404, 'not_found', $e->getMessage());
} catch (Throwable $e) {
    error_log("gateway.php $action: " . $e->getMessage());
    specter_fail(500, 'server_error', "the shop could not $action (see its error log)");
}
