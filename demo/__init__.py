"""The demo: both stand-ins, the service and one full sync on this machine.

Started with ``python -m demo`` (``make demo``). Not part of the product: it
uses `app` and `standins`, and nothing in `app` imports it, so neither it nor
the stand-ins are in the production wheel or image.
"""
