"""The coordinator runs the network: member organisations and staff accounts."""
