<?php
// Include this from the shop's own code and call specter_event() where objects change, e.g.
//   require_once '/path/to/specter/hooks.php';
//   specter_event('order.created', (string)$orderId);
// Events: order.created|updated|deleted, product.created|updated|deleted,
// customer.created|updated. The gateway fetches the object itself through gateway.php.
declare(strict_types=1);

require_once __DIR__ . '/lib.php';
