"""What the API (app.api) and the report pages (app.web) share of HTTP: the
typed dependencies (the one way into the service's parts and the one
transaction of a request), the error shape, reading inputs, the gate every
request passes, the headers every answer carries, cursors and the report
files as answers. It imports neither app.api nor app.web; they import it."""
