"""Pure encoders from feature rows to wire formats."""
