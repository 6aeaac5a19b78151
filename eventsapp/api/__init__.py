"""The open, read-only JSON API of the public calendar (/api/v1/…): field names follow
Helsinki's Linked Events where they mean the same; never any personal data."""
