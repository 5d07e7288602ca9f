<?php
// Contract v2 plumbing: configuration, the database, signing, the replay guard and signed
// HTTP POSTs.
declare(strict_types=1);

const SPECTER_CONTRACT_VERSION = 2;
const SPECTER_WINDOW = 300; // seconds a signed request stays valid either side of now

function specter_config(): array
{
    static $config = null;
    if ($config === null) {
        $config = require __DIR__ . '/config.php';
    }
    return $config;
}

function specter_db(): PDO
{
    static $pdo = null;
    if ($pdo === null) {
        $c = specter_config();
        $pdo = new PDO($c['dsn'], $c['db_user'], $c['db_password'], [
            PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION,
            PDO::ATTR_DEFAULT_FETCH_MODE => PDO::FETCH_ASSOC,
        ]);
    }
    return $pdo;
}

function specter_sign(string $secret, string $timestamp, string $body): string
{
    return hash_hmac('sha256', $timestamp . '.' . $body, $secret);
}

/** Why a request to this shop is refused, or null when its signature and timestamp are good
 *  and it was not received before. */
function specter_verify_request(string $body): ?string
{
    $secret = (string)specter_config()['shared_secret'];
    $timestamp = $_SERVER['HTTP_X_SPECTER_TIMESTAMP'] ?? '';
    $given = strtolower($_SERVER['HTTP_X_SPECTER_SIGNATURE'] ?? '');
    if ($secret === '') {
        return 'no shared_secret is configured in config.php';
    }
    if ($timestamp === '' || $given === '') {
        return 'missing X-Specter-Timestamp or X-Specter-Signature header';
    }
    if (!hash_equals(specter_sign($secret, $timestamp, $body), $given)) {
        return 'X-Specter-Signature does not match (wrong shared secret?)';
    }
    if (!ctype_digit($timestamp) || abs(time() - (int)$timestamp) > SPECTER_WINDOW) {
        return 'X-Specter-Timestamp is more than ' . SPECTER_WINDOW . ' s from the shop\'s clock';
    }
    if (!specter_first_time($given, (int)$timestamp)) {
        return 'this signed request was already received (a replay)';
    }
    return null;
}

/** The replay guard: record a verified request's signature until its timestamp leaves the
 *  window; false when it was recorded before. It lives in the shop's database (specter.sql),
 *  not in memory, since every PHP request is a process of its own: a request captured on the
 *  way and sent again, to any web server of the shop, is refused. The primary key decides
 *  between two copies arriving at once: exactly one INSERT succeeds. */
function specter_first_time(string $signature, int $timestamp): bool
{
    $db = specter_db();
    $db->prepare('DELETE FROM specter_seen_requests WHERE expires_at < ?')->execute([time()]);
    try {
        $db->prepare('INSERT INTO specter_seen_requests (signature, expires_at) VALUES (?, ?)')
            ->execute([$signature, $timestamp + SPECTER_WINDOW]);
    } catch (PDOException $e) {
        if ((string)$e->getCode() === '23000') { // integrity constraint: the signature is there
            return false;
        }
        throw $e;
    }
    return true;
}

/** POST a body; returns [HTTP status (0: no answer), answer body]. */
function specter_http_post(string $url, string $body, array $headers): array
{
    $lines = [];
    foreach ($headers as $name => $value) {
        $lines[] = $name . ': ' . $value;
    }
    if (function_exists('curl_init')) {
        $ch = curl_init($url);
        curl_setopt_array($ch, [
            CURLOPT_POST => true, CURLOPT_POSTFIELDS => $body, CURLOPT_HTTPHEADER => $lines,
            CURLOPT_RETURNTRANSFER => true, CURLOPT_TIMEOUT => 15, CURLOPT_CONNECTTIMEOUT => 5,
        ]);
        $answer = curl_exec($ch);
        $status = (int)curl_getinfo($ch, CURLINFO_RESPONSE_CODE);
        curl_close($ch);
        return [$answer === false ? 0 : $status, $answer === false ? '' : (string)$answer];
    }
    $context = stream_context_create(['http' => [
        'method' => 'POST', 'header' => implode("\r\n", $lines), 'content' => $body,
        'timeout' => 15, 'ignore_errors' => true,
    ]]);
    $answer = @file_get_contents($url, false, $context);
    $status = 0;
    foreach ($http_response_header ?? [] as $line) {
        if (preg_match('#^HTTP/\S+\s+(\d{3})#', $line, $m)) {
            $status = (int)$m[1];
        }
    }
    return [$status, $answer === false ? '' : $answer];
}

/** The signing headers for a body sent to the gateway. */
function specter_signed_headers(string $body): array
{
    $timestamp = (string)time();
    return [
        'Content-Type' => 'application/json',
        'X-Specter-Timestamp' => $timestamp,
        'X-Specter-Signature' => specter_sign((string)specter_config()['shared_secret'], $timestamp, $body),
    ];
}

/** Tell the gateway that an object changed. Never throws: the shop's own page must not break
 *  when the gateway is away; a failure is logged (without the secret) and answered false. */
function specter_event(string $event, string $id = '', array $data = []): bool
{
    $c = specter_config();
    $body = json_encode([
        'version' => SPECTER_CONTRACT_VERSION, 'event' => $event, 'id' => $id,
        'data' => (object)$data,
        'nonce' => bin2hex(random_bytes(8)), // two equal events in one second are still two
    ], JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES);
    $url = rtrim((string)$c['gateway_url'], '/') . '/shops/' . rawurlencode((string)$c['tenant_id']) . '/events';
    [$status, $answer] = specter_http_post($url, $body, specter_signed_headers($body));
    if ($status < 200 || $status >= 300) {
        error_log("specter_event $event $id: gateway answered " . ($status ?: 'nothing') . ': ' . substr($answer, 0, 200));
        return false;
    }
    return true;
}
