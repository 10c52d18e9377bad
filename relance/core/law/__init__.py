"""French law as arithmetic: rate table, late-payment penalties, claims, prescription. Pure."""
