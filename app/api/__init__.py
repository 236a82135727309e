"""The /api/v1 routers and their schemas. Everything HTTP they share with the
report pages (dependencies, errors, inputs, the guard) is app.http's; the
service is assembled in app.main."""
