"""What the service tells its operators: Prometheus metrics (`metrics`) and structured logs
(`logs`). The two modules are imported separately, so logging needs no Prometheus."""
