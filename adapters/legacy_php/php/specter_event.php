<?php
// The same from a shell or cron job: php specter_event.php order.created 42
declare(strict_types=1);

require_once __DIR__ . '/hooks.php';

if (PHP_SAPI !== 'cli') {
    http_response_code(404);
    exit;
}
if ($argc < 2) {
    fwrite(STDERR, "usage: php specter_event.php EVENT [ID]\n");
    exit(2);
}
exit(specter_event($argv[1], $argv[2] ?? '') ? 0 : 1);
