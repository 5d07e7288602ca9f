"""What the demo's shops sell, who buys it, and the demo's Specter account."""

from __future__ import annotations

from decimal import Decimal

from gateway.adapter import DemoBuyer, DemoProduct

SBM_ID = 4242
API_USER, USER_KEY, INTEGRATION_KEY = "demo-api-user", "demo-user-key", "demo-integration-key"
ACCOUNT_SPEC = f"{SBM_ID}:{API_USER}:{USER_KEY}:{INTEGRATION_KEY}"
ACCOUNT_ID = "demo"

# A garden shop's catalogue: (article number, name, price ex VAT, Specter's stock at the start).
PRODUCTS = [
    DemoProduct(article_no=no, name=name, price_ex_vat=Decimal(price), stock=stock)
    for no, name, price, stock in [
        ("KANNA-10", "Vattenkanna 10 l", "199.00", 24),
        ("SAX-PRO", "Sekatör Pro", "349.00", 15),
        ("HANDSKE-M", "Trädgårdshandskar M", "89.00", 40),
        ("FRO-TOMAT", "Fröer tomat Gardeners Delight", "29.00", 120),
        ("JORD-50", "Planteringsjord 50 l", "79.00", 60),
        ("KRUKA-30", "Terrakottakruka 30 cm", "149.00", 18),
        ("SLANG-20", "Trädgårdsslang 20 m", "299.00", 12),
        ("SPADE-ST", "Spade i stål", "259.00", 9),
    ]
]

BUYERS = [
    DemoBuyer(first_name=first, last_name=last, email=f"{first.lower()}.{last.lower()}@example.se".translate(
        str.maketrans("åäö", "aao")), street=street, zip_code=zip_code, city=city, phone="0701234567")
    for first, last, street, zip_code, city in [
        ("Åsa", "Öberg", "Storgatan 1", "11122", "Stockholm"),
        ("Johan", "Lind", "Kungsgatan 12", "41119", "Göteborg"),
        ("Maria", "Ek", "Södra Förstadsgatan 5", "21143", "Malmö"),
        ("Erik", "Sand", "Drottninggatan 7", "75310", "Uppsala"),
        ("Lina", "Berg", "Västra Hamngatan 3", "58222", "Linköping"),
    ]
]

# Per platform: the tenant id, the shop's name, and its order number prefix in Specter (one
# Specter account: each shop's prefix must not start another's).
SHOPS = {
    "woocommerce": ("demo-woo", "Trädgårdsboden (WooCommerce)", "WOO-"),
    "abicart": ("demo-abicart", "Odlarlådan (Abicart)", "ABI-"),
    "legacy_php": ("demo-php", "Gamla Plantshopen (PHP)", "PHP-"),
}
