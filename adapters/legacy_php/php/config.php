<?php
// Settings for the Specter Gateway scripts. Put your values in config.local.php (returning an
// array with the keys you change) so that updating these scripts keeps them; environment
// variables (SPECTER_*) win over both, for containers and tests.
declare(strict_types=1);

$config = [
    'gateway_url' => 'https://specter-gateway.example.se', // the gateway's public URL
    'tenant_id' => 'myshop',                                // this shop's tenant id in the gateway
    'shared_secret' => '',                                  // the tenant's shop "shared_secret"
    // get_specter_articles.php: the product import URL the gateway's console shows (with its
    // token) when you press "Generate token"; paste it whole.
    'import_url' => '',
    'inbound_token' => '',                                  // contract v1 only: the import URL's token before import_url
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
    'shared_secret' => 'SPECTER_SHARED_SECRET', 'import_url' => 'SPECTER_IMPORT_URL',
    'inbound_token' => 'SPECTER_INBOUND_TOKEN',
    'dsn' => 'SPECTER_DSN', 'db_user' => 'SPECTER_DB_USER', 'db_password' => 'SPECTER_DB_PASSWORD',
];
foreach ($env as $key => $name) {
    $value = getenv($name);
    if ($value !== false && $value !== '') {
        $config[$key] = $value;
    }
}
return $config;
