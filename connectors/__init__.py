"""HTTP clients for E-Program (source) and E-Planning (target); raw JSON in and out."""
