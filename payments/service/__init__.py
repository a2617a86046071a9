"""Use cases of the UPI-like switch, one module per flow."""
