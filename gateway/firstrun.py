"""A new gateway's first console user, so a first start can be signed in to at once.

On a gateway that has nothing yet (no console user, no tenant, no Specter account) ``serve``
makes the vendor admin ``admin`` with a generated password and prints it once, with where to
sign in and how to change it. Only the password's scrypt hash is kept; the text is never shown
again, and a gateway that has anything already gets no user it was not asked for.
"""

from __future__ import annotations

import secrets

from gateway.store.base import AdminUser, Store
from gateway.web.console.passwords import hash_password

FIRST_ADMIN = "admin"


async def ensure_first_admin(store: Store) -> str | None:
    """The generated password of the first admin when this call made one, else None."""
    if await store.list_admin_users():
        return None  # the common case, answered without hashing anything
    password = secrets.token_urlsafe(12)
    added = await store.add_first_admin(AdminUser(name=FIRST_ADMIN, password_hash=hash_password(password)))
    return password if added else None


def first_admin_notice(password: str, console_url: str) -> str:
    """What the operator reads once on the terminal."""
    rule = "-" * 72
    return "\n".join([
        rule,
        "  A new gateway: its first console user is made, and this is the only time its password shows.",
        f"      name:      {FIRST_ADMIN}",
        f"      password:  {password}",
        f"  Sign in at {console_url.rstrip('/')}/admin/",
        f"  Change the password with:  specter-gateway user password {FIRST_ADMIN}",
        "  Add more users with:       specter-gateway user add NAME --admin  (or --tenant TENANT)",
        rule,
    ])
