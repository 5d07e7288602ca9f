<?php
// Settings for the Specter Gateway scripts. Put your values in config.local.php (returning an
// array with the keys you change) so that updating these scripts keeps them; environment
// variables (SPECTER_*) win over both, for containers and tests.
declare(strict_types=1);

$config = [
    'gateway_url' => 'https://specter-gateway.example.se', // the gateway's public URL
    'tenant_id' => 'myshop',                                // this shop's tenant id in the gateway
    'shared_secret' => '',                                  // the tenant's shop "shared_secret"
    'inbound_token' => '',                                  // the tenant's inbound token (get_specter_articles.php)
    'dsn' => 'mysql:host=localhost;dbname=shop;charset=utf8mb4',
    'db_user' => null,
    'db_password' => null,
];
$local = __DIR__ . '/config.local.php';
if (is_file($local)) {
    $config = array_merge($config, require $local);
}
$env = [
    'gateway_url' => 'SPECTER_GATEWAY_URL', 'tenant_id' => 'SPECTER_TENANT_ID',
    'shared_secret' => 'SPECTER_SHARED_SECRET', 'inbound_token' => 'SPECTER_INBOUND_TOKEN',
    'dsn' => 'SPECTER_DSN', 'db_user' => 'SPECTER_DB_USER', 'db_password' => 'SPECTER_DB_PASSWORD',
];
foreach ($env as $key => $name) {
    $value = getenv($name);
    if ($value !== false && $value !== '') {
        $config[$key] = $value;
    }
}
return $config;
