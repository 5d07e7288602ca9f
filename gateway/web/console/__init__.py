"""The admin console: server-rendered pages under /admin for the vendor's support staff and the
shop owner (see :mod:`.routes`; signing in and CSRF in :mod:`.auth`)."""
